import type { FairAcquireResult } from './lock-store.js';
import { nameFromPermitKey, permitKeys } from './lock-keys.js';
import {
  ACQUIRE_PERMITS,
  FORCE_RELEASE_PERMITS,
  INSPECT_PERMITS,
  LEAVE_PERMIT_QUEUE,
  RELEASE_PERMITS,
  RENEW_PERMITS,
} from './lua/permit-scripts.js';
import type { LuaScript } from './lua/lock-scripts.js';
import type { PermitFamily, PermitSpec, PermitStore, StoredPermitHolder, StoredPermitInfo } from './permit-store.js';
import type { RedisLikeClient } from './redis-like-client.js';
import type { ReleaseListener } from './release-event.js';
import type { ReleaseSubscriptions } from './release-subscriptions.js';
import { globEscape, scanKeys } from './scan-keys.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * What {@link RedisPermits} borrows from the `RedisLockStore` it serves: key prefix, fence retention,
 * script runner, release subscriptions, its error/timeout guard and the nodes to scan.
 *
 * @example
 * const permits = new RedisPermits({ prefix: 'lynx:lock:', fenceRetentionMs: 86_400_000, scripts, subscriptions,
 *   guard: (op, name, p) => p, nodes: () => [client] });
 */
export interface RedisPermitsBackend {
  /** Key prefix. @default 'lynx:lock:' (from the store) */
  readonly prefix: string;
  /** Fence counter retention in ms. @default 86_400_000 (from the store) */
  readonly fenceRetentionMs: number;
  readonly scripts: ScriptRunner;
  readonly subscriptions: ReleaseSubscriptions;
  /** The store's guard: command timeout, scrubbed `LockBackendError`s. */
  readonly guard: <T>(operation: string, name: string | undefined, promise: Promise<T>) => Promise<T>;
  /** Every master (Cluster) or the one client. */
  readonly nodes: () => readonly RedisLikeClient[];
}

/** Releases of one name and family waiting to be sent together. */
interface ReleaseBatch {
  name: string;
  family: PermitFamily;
  owners: string[];
  settle: { resolve(left: number): void; reject(error: unknown): void }[];
}

/** The KEYS of the writing permit scripts, in the order they expect (see PERMIT_KEYS_LUA). */
const scriptKeys = (prefix: string, name: string, family: PermitFamily): string[] => {
  const k = permitKeys(prefix, name, family);
  return [k.holders, k.info, k.queue, k.waiters, k.fence];
};

/**
 * {@link PermitStore} on Redis (read-write locks and semaphores): one Lua script per operation
 * (lua/permit-scripts.ts), keys from `permitKeys` on one hash tag. `RedisLockStore` delegates its
 * permit methods here.
 *
 * @example
 * const r = await permits.acquirePermits('report', owner, { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' },
 *   30_000, 2000, true, false);
 */
export class RedisPermits implements PermitStore {
  /** Releases waiting for this event loop turn to end, per family and name (see {@link releasePermits}). */
  private readonly releasing = new Map<string, ReleaseBatch>();

  constructor(private readonly backend: RedisPermitsBackend) {}

  async acquirePermits(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    reentrant: boolean,
  ): Promise<FairAcquireResult> {
    const { prefix, fenceRetentionMs, scripts, guard } = this.backend;
    const args = [
      owner,
      spec.count,
      spec.limit,
      spec.fence === 'share' ? 's' : 'm',
      ttlMs,
      queueTtlMs,
      queue ? 'f' : 't',
      reentrant ? '1' : '0',
      fenceRetentionMs,
    ];
    const run = scripts.run(ACQUIRE_PERMITS, scriptKeys(prefix, name, spec.family), args);
    const reply = (await guard('acquire', name, run)) as [number, string | number, number, number];
    if (reply[0] === 1) {
      return { acquired: true, fence: Number(reply[1]), holdCount: Number(reply[2]), handedOff: reply[3] === 1 };
    }
    return { acquired: false, holderTtlMs: Number(reply[1]), heldBySelf: false, holderWaitsFor: null };
  }

  /**
   * Releases of one name and family made in the same event loop turn go to Redis in one script call
   * (sent from `setImmediate`, before the next turn's I/O): a run of readers whose sections end together
   * costs one call, and the last of them hands the lock on without queueing behind the others' calls.
   */
  releasePermits(name: string, family: PermitFamily, owner: string): Promise<number> {
    const id = `${family}\u0000${name}`;
    let batch = this.releasing.get(id);
    if (!batch) {
      batch = { name, family, owners: [], settle: [] };
      this.releasing.set(id, batch);
      setImmediate(() => void this.flushReleases(id));
    }
    const pending = batch;
    return new Promise((resolve, reject) => {
      pending.owners.push(owner);
      pending.settle.push({ resolve, reject });
    });
  }

  private async flushReleases(id: string): Promise<void> {
    const batch = this.releasing.get(id)!;
    this.releasing.delete(id);
    const { prefix, fenceRetentionMs, scripts, guard, subscriptions } = this.backend;
    try {
      const keys = scriptKeys(prefix, batch.name, batch.family);
      const run = scripts.run(RELEASE_PERMITS, keys, [fenceRetentionMs, ...batch.owners]);
      const reply = (await guard('release', batch.name, run)) as (number | string)[];
      const channel = permitKeys(prefix, batch.name, batch.family).channel;
      await subscriptions.handOver(channel, reply.slice(batch.owners.length).map(String));
      batch.settle.forEach((s, i) => s.resolve(Number(reply[i])));
    } catch (error) {
      for (const s of batch.settle) s.reject(error);
    }
  }

  async renewPermits(name: string, family: PermitFamily, owner: string, ttlMs: number): Promise<boolean> {
    const { prefix, fenceRetentionMs, scripts, guard } = this.backend;
    const run = scripts.run(RENEW_PERMITS, scriptKeys(prefix, name, family), [owner, ttlMs, fenceRetentionMs]);
    return (await guard('renew', name, run)) === 1;
  }

  async leavePermitQueue(name: string, family: PermitFamily, owner: string): Promise<void> {
    await this.passOn('release', LEAVE_PERMIT_QUEUE, name, family, owner);
  }

  /**
   * Runs a script that may grant the queue's heads (release, leave): its reply is `{n, grant...}`;
   * each grant goes to this process's listeners at once (the published copy follows). Returns `n`.
   */
  private async passOn(
    operation: string,
    script: LuaScript,
    name: string,
    family: PermitFamily,
    owner: string,
  ): Promise<number> {
    const { prefix, fenceRetentionMs, scripts, guard, subscriptions } = this.backend;
    const run = scripts.run(script, scriptKeys(prefix, name, family), [owner, fenceRetentionMs]);
    const [result, ...grants] = (await guard(operation, name, run)) as [number, ...string[]];
    const channel = permitKeys(prefix, name, family).channel;
    await subscriptions.handOver(channel, grants.map(String));
    return Number(result);
  }

  async inspectPermits(name: string, family: PermitFamily): Promise<StoredPermitInfo> {
    const { prefix, scripts, guard } = this.backend;
    const keys = scriptKeys(prefix, name, family).slice(0, 4);
    const reply = (await guard('inspect', name, scripts.run(INSPECT_PERMITS, keys, []))) as (string | number)[];
    const holders: StoredPermitHolder[] = [];
    for (let i = 3; i + 4 < reply.length; i += 5) {
      holders.push({
        owner: String(reply[i]),
        count: Number(reply[i + 1]),
        holds: Number(reply[i + 2]),
        fence: Number(reply[i + 3]),
        ttlMs: Number(reply[i + 4]),
      });
    }
    return { name, family, limit: Number(reply[0]), used: Number(reply[1]), holders, waiters: Number(reply[2]) };
  }

  /**
   * One SCAN pass per node for the holders keys (`…}:rw`, `…}:sem`) and queue keys (`…}:rw:q`,
   * `…}:sem:q`) of names starting with `prefix`, so a name whose only state is its queue is listed too.
   * Sorted by name, then family.
   */
  async listPermits(prefix: string, limit: number): Promise<{ name: string; family: PermitFamily }[]> {
    const { prefix: keyPrefix, guard } = this.backend;
    // `[rs][we]*` after the tag: the permit keys (`:rw…`, `:sem…`), none of a mutex (`:fence`, `:w`, `:q`, `:qw`).
    const match = `${globEscape(keyPrefix)}{${globEscape(prefix)}*}:[rs][we]*`;
    const found = await scanKeys({
      nodes: this.backend.nodes(),
      match,
      limit,
      parse: (key) => {
        const entry = nameFromPermitKey(keyPrefix, key.endsWith(':q') ? key.slice(0, -2) : key);
        return entry && { id: `${entry.family} ${entry.name}`, value: entry };
      },
      guard: (call) => guard('list', undefined, call),
    });
    return found.sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : a.family < b.family ? -1 : a.family > b.family ? 1 : 0,
    );
  }

  async forceReleasePermits(name: string, family: PermitFamily): Promise<boolean> {
    const { prefix, scripts, guard } = this.backend;
    const keys = scriptKeys(prefix, name, family).slice(0, 4);
    return (await guard('forceRelease', name, scripts.run(FORCE_RELEASE_PERMITS, keys, []))) === 1;
  }

  onPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): Promise<() => void> {
    const { prefix, subscriptions } = this.backend;
    return subscriptions.add(permitKeys(prefix, name, family).channel, listener);
  }

  watchPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): (() => void) | undefined {
    const { prefix, subscriptions } = this.backend;
    return subscriptions.attachIfActive(permitKeys(prefix, name, family).channel, listener);
  }
}
