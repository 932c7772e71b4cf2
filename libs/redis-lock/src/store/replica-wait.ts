import type { LuaScript } from './lua/lock-scripts.js';
import type { RedisLikeClient } from './redis-client.js';

/** `WAIT` settings of the store: replicas that must acknowledge, and how long `WAIT` may block. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/** Thrown when too few replicas acknowledged a lock write; the store turns it into `LockBackendError`. */
export class ReplicaAckError extends Error {
  constructor(
    readonly acknowledged: number,
    readonly required: number,
    timeoutMs: number,
  ) {
    super(
      `only ${acknowledged} of ${required} replica(s) acknowledged the lock within ${timeoutMs} ms; the lock was released again`,
    );
    this.name = 'ReplicaAckError';
  }
}

type Pipeline = ReturnType<RedisLikeClient['pipeline']>;

async function pipelineWithWait(client: RedisLikeClient, command: (pipe: Pipeline) => void, wait: ReplicaWait) {
  const pipe = client.pipeline();
  command(pipe);
  // WAIT is refused inside Lua (and does not block in MULTI), so it follows the script in the same
  // pipeline: same connection, so it covers exactly the writes the script just made. In a Cluster
  // pipeline the keyless WAIT goes to the node of the script's key.
  pipe.call('WAIT', wait.replicas, wait.timeoutMs);
  const replies = (await pipe.exec()) ?? [];
  const [scriptError, reply] = replies[0] ?? [new Error('no reply'), undefined]; // the script's, or the SET's
  const [waitError, acks] = replies[1] ?? [new Error('no reply to WAIT'), undefined];
  return { scriptError, reply, waitError, acks: Number(acks) };
}

/**
 * Runs the acquire script and `WAIT replicas timeout` in one pipeline (one round trip). When the
 * script granted the lock (reply `[1, …]`) but fewer than `wait.replicas` replicas acknowledged it
 * (or WAIT failed), `releaseOneHold` undoes the grant and the call rejects with
 * {@link ReplicaAckError}. Busy answers are returned as they are.
 *
 * @example
 * const reply = await acquireWithReplicaWait(client, ACQUIRE, [lock, fence], args, { replicas: 1, timeoutMs: 200 }, release);
 */
export async function acquireWithReplicaWait(
  client: RedisLikeClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
  wait: ReplicaWait,
  releaseOneHold: () => Promise<unknown>,
): Promise<unknown> {
  let result = await pipelineWithWait(client, (pipe) => pipe.evalsha(script.sha, script.keys, ...keys, ...args), wait);
  if (result.scriptError && isNoScript(result.scriptError)) {
    result = await pipelineWithWait(client, (pipe) => pipe.eval(script.body, script.keys, ...keys, ...args), wait);
  }
  return checkAcks(result, Array.isArray(result.reply) && Number(result.reply[0]) === 1, wait, releaseOneHold);
}

/**
 * The uncontended acquire (`SET key value PX ttl NX`) and `WAIT` in one pipeline, with the same
 * roll-back as {@link acquireWithReplicaWait}. Resolves `'OK'` when set and acknowledged, `null` when busy.
 *
 * @example
 * const ok = (await claimWithReplicaWait(client, key, '0 1 0 me:1', 30_000, { replicas: 1, timeoutMs: 200 }, release)) === 'OK';
 */
export async function claimWithReplicaWait(
  client: RedisLikeClient,
  key: string,
  value: string,
  ttlMs: number,
  wait: ReplicaWait,
  releaseOneHold: () => Promise<unknown>,
): Promise<unknown> {
  const result = await pipelineWithWait(client, (pipe) => pipe.set(key, value, 'PX', ttlMs, 'NX'), wait);
  return checkAcks(result, result.reply === 'OK', wait, releaseOneHold);
}

async function checkAcks(
  result: Awaited<ReturnType<typeof pipelineWithWait>>,
  granted: boolean,
  wait: ReplicaWait,
  releaseOneHold: () => Promise<unknown>,
): Promise<unknown> {
  if (result.scriptError) throw result.scriptError;
  if (!granted) return result.reply;
  if (result.waitError || !(result.acks >= wait.replicas)) {
    await releaseOneHold().catch(() => undefined); // if this fails too, the lock expires by its TTL
    if (result.waitError)
      throw new Error(`WAIT failed (${(result.waitError as Error).message}); the lock was released again`);
    throw new ReplicaAckError(result.acks, wait.replicas, wait.timeoutMs);
  }
  return result.reply;
}
