import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LockBackendError, LockKeyTypeError } from '../errors/index.js';
import type {
  AcquireManyResult,
  AcquireResult,
  FairAcquireResult,
  LockStore,
  RenewRequest,
  StoreDiagnosis,
  StoredLockInfo,
  WaitsForEntry,
} from './lock-store.js';
import { lockKey, lockKeys, nameFromLockKey } from './lock-keys.js';
import type { PermitFamily, PermitSpec, PermitStore, StoredPermitInfo } from './permit-store.js';
import { SET_WAITS_FOR, WAITS_FOR } from './lua/deadlock-scripts.js';
import { ACQUIRE_MANY } from './lua/multi-lock-scripts.js';
import {
  ACQUIRE,
  FORCE_RELEASE,
  INSPECT,
  LOCK_SCRIPTS,
  MINT_FENCE,
  RELEASE_BARE,
  RENEW,
  RENEW_MANY,
  RENEW_MANY_CHUNK,
  unfencedLockValue,
} from './lua/lock-scripts.js';
import {
  ACQUIRE_FAIR,
  COUNT_FAIR_WAITERS,
  FAIR_LOCK_SCRIPTS,
  LEAVE_FAIR_QUEUE,
  RELEASE,
  RELEASE_TO,
} from './lua/fair-lock-scripts.js';
import { PERMIT_SCRIPTS } from './lua/permit-scripts.js';
import { subscriberClient, type RedisLikeClient } from './redis-client.js';
import { acquireWithReplicaWait, claimWithReplicaWait, type ReplicaWait } from './replica-wait.js';
import type { ReleaseListener } from './release-event.js';
import { RedisPermits } from './redis-permits.js';
import { ReleaseSubscriptions } from './release-subscriptions.js';
import { LocalSuccessors } from './local-successors.js';
import { globEscape, scanKeys } from './scan-keys.js';
import { ScriptRunner } from './script-runner.js';
import { scrubError } from './scrub-secrets.js';
import { WriteCoalescer } from './write-coalescer.js';

/** Settings of {@link RedisLockStore}. */
export interface RedisLockStoreOptions {
  /** The ioredis client to run lock commands on. */
  client: RedisLikeClient;
  /** Whether the store created the client and must close it. @default false */
  owned?: boolean;
  /** Prefix of every key. @default 'lynx:lock:' */
  keyPrefix?: string;
  /** Per-command timeout enforced by the store itself (clients the app passes in may have none). @default 2000 */
  commandTimeoutMs?: number;
  /** Strings that must never appear in errors (the Redis password). */
  secrets?: readonly (string | undefined)[];
  /** How long a fence counter lives after it was seeded (then the next acquisition reseeds it from the server clock); see docs/guide.md#fencing. @default 86_400_000 (24 h) */
  fenceRetentionMs?: number;
  /** `WAIT` for replicas after each acquire (pipelined with it); see docs/topologies.md#wait. @default off */
  wait?: ReplicaWait;
}

const parseFence = (value: unknown): number => Number(value);
/** A token from a script reply; `0` (stored for "not minted yet") is `undefined`. */
const parseLazyFence = (value: unknown): number | undefined => {
  const fence = Number(value);
  return fence > 0 ? fence : undefined;
};

/** The token a hand-off grant `g:<fence>:<sha1>` carries. */
const grantedFence = (grant: string): number | undefined => parseLazyFence(grant.slice(2, grant.indexOf(':', 2)));

/** A Redis error about a key of another type (directly or from inside a script). */
const WRONG_TYPE = /WRONGTYPE/;

/** For owner-checked calls: a key of another type at the lock's key means "not this owner's lock" (`value`). */
const notOursIfWrongType =
  <T>(value: T) =>
  (error: unknown): T => {
    if (error instanceof LockKeyTypeError) return value;
    throw error;
  };

/** Every script the store loads at start-up and checks in `diagnose` (the rest fall back to EVAL). */
const LOADED_SCRIPTS = [...LOCK_SCRIPTS, ...FAIR_LOCK_SCRIPTS, ...PERMIT_SCRIPTS];

/** Most bare-holding hints a store keeps (see `RedisLockStore.bare`); a full set is cleared, which only costs speed. */
const BARE_HINTS_MAX = 100_000;

/** KEYS of the deadlock scripts: the lock and its wait record. */
const waitRecordKeys = (prefix: string, name: string): string[] => {
  const keys = lockKeys(prefix, name);
  return [keys.lock, keys.waits];
};

/**
 * {@link LockStore} on Redis: constant Lua scripts (EVALSHA with EVAL fallback), keys sharing one
 * hash tag per lock, release notifications by pub/sub on a dedicated subscriber connection.
 * Every failure becomes a credential-free {@link LockBackendError}. Read-write locks and semaphores
 * ({@link PermitStore}) are delegated to {@link RedisPermits}.
 *
 * @example
 * const store = new RedisLockStore({ client: new Redis(), keyPrefix: 'app:lock:' });
 * await store.init();
 */
export class RedisLockStore implements LockStore, PermitStore {
  readonly kind = 'redis';
  /** This store's owner-token tag (see `LockStore.ownerTag`): 48 random bits as hex. */
  readonly ownerTag = randomBytes(6).toString('hex');
  private readonly client: RedisLikeClient;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly secrets: readonly (string | undefined)[];
  private readonly fenceRetentionMs: number;
  private readonly scripts: ScriptRunner;
  private readonly writes: WriteCoalescer;
  private readonly subscriptions: ReleaseSubscriptions;
  private readonly isCluster: boolean;
  private readonly wait?: ReplicaWait;
  private readonly permitOps: RedisPermits;
  /**
   * Owners whose holding this store took with the bare `SET` and has not changed since (no token
   * minted, no reentrant hold): their release tries {@link RELEASE_BARE} first. Only a hint: when a
   * waiter marked the lock meanwhile, the bare release answers 0 and the full one runs after it.
   */
  private readonly bare = new Set<string>();
  /** This store's waiters in the fair queues, for the in-process hand-off (see {@link release}). */
  private readonly successors = new LocalSuccessors();
  /** Owners holding a lock more than once (a reentrant hold): their release only drops a hold. */
  private readonly nested = new Set<string>();

  constructor(options: RedisLockStoreOptions) {
    this.client = options.client;
    this.owned = options.owned ?? false;
    this.prefix = options.keyPrefix ?? 'lynx:lock:';
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.secrets = options.secrets ?? [];
    this.fenceRetentionMs = options.fenceRetentionMs ?? 86_400_000;
    this.writes = new WriteCoalescer(this.client);
    this.scripts = new ScriptRunner(this.client, this.writes);
    this.wait = options.wait && options.wait.replicas > 0 ? options.wait : undefined;
    this.isCluster = typeof (this.client as { nodes?: unknown }).nodes === 'function';
    this.subscriptions = new ReleaseSubscriptions(
      () => subscriberClient(this.client),
      (op, promise) => this.guard(op, undefined, promise, true),
      (channel, event) => this.successors.granted(channel, event),
    );
    this.permitOps = new RedisPermits({
      prefix: this.prefix,
      fenceRetentionMs: this.fenceRetentionMs,
      scripts: this.scripts,
      subscriptions: this.subscriptions,
      guard: (op, name, promise) => this.guard(op, name, promise),
      nodes: () => this.nodes(),
    });
    if (this.owned) {
      // Connection errors surface per call; the last one (scrubbed) is kept for the health reason.
      // (A client the app passed in keeps its own error handling: no listener is added to it.)
      this.client.on('error', (error: unknown) => {
        this.lastError = scrubError(error, this.secrets).message;
      });
      this.client.on('ready', () => {
        this.lastError = undefined;
      });
    }
  }

  private lastError?: string;

  /**
   * The last connection error of a client this store created, since it was last ready, without
   * credentials (e.g. `WRONGPASS invalid username-password pair…`), or `undefined` (also always for
   * a client the app passed in). Shown in the health reason.
   *
   * @example
   * if (store.redis.status !== 'ready') console.warn(store.lastConnectionError);
   */
  get lastConnectionError(): string | undefined {
    return this.lastError;
  }

  /** The ioredis client in use (for health checks). */
  get redis(): RedisLikeClient {
    return this.client;
  }

  async init(): Promise<void> {
    await this.guard('init', undefined, this.waitReady(), true);
    await this.guard('init', undefined, this.scripts.load(LOADED_SCRIPTS));
  }

  private async waitReady(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'wait') await this.client.connect();
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onEnd = () => {
        cleanup();
        reject(new Error('connection closed'));
      };
      const cleanup = () => {
        this.client.off('ready', onReady);
        this.client.off('end', onEnd);
      };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
      if (this.client.status === 'ready') onReady();
    });
  }

  /**
   * Turns any failure into a scrubbed LockBackendError, and applies the command timeout. Clients
   * this store created carry ioredis' own `commandTimeout`, so the extra timer (one per command on
   * the hot path) is only armed for clients the app passed in, and for waits that are not commands.
   * A Cluster re-sends a command after a failover (`retryDelayOnFailover` × `maxRedirections`), which
   * can outlast one node's `commandTimeout`, so Cluster calls are always timed.
   */
  private async guard<T>(
    operation: string,
    name: string | undefined,
    promise: Promise<T>,
    timed = !this.owned || this.isCluster,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!timed) return await promise;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      return await Promise.race([promise, timeout]);
    } catch (error) {
      promise.catch(() => undefined);
      if (error instanceof LockBackendError || error instanceof LockKeyTypeError) throw error;
      const clean = scrubError(error, this.secrets);
      // A foreign key of another type where the lock's keys live: that lock's problem, not the backend's.
      if (name !== undefined && WRONG_TYPE.test(clean.message)) {
        throw new LockKeyTypeError(name, lockKey(this.prefix, name), operation);
      }
      // Our own timer, or ioredis' `commandTimeout` ("Command timed out").
      const timedOut = /^no reply within|Command timed out/.test(clean.message);
      throw new LockBackendError(operation, clean.message, name, clean, timedOut);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The uncontended acquire: one native `SET key "0 1 0 <owner>" PX ttl NX` (no script, no token:
   * see {@link mintFence}). `false` when the key exists; the caller then runs the acquire script.
   */
  async claim(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = lockKey(this.prefix, name);
    const value = unfencedLockValue(owner);
    this.writes.hold();
    const run = this.wait
      ? claimWithReplicaWait(this.client, key, value, ttlMs, this.wait, () => this.releaseOne(name, owner))
      : this.client.set(key, value, 'PX', ttlMs, 'NX');
    if ((await this.guard('acquire', name, run)) !== 'OK') return false;
    if (this.bare.size >= BARE_HINTS_MAX) this.bare.clear(); // holdings lost without a release: drop the stale hints
    this.bare.add(owner);
    return true;
  }

  /** Mints the holding's fencing token if it has none (MINT_FENCE, owner-checked); `undefined` when not held. */
  async mintFence(name: string, owner: string, ttlMs: number): Promise<number | undefined> {
    this.bare.delete(owner);
    const keys = lockKeys(this.prefix, name);
    const run = this.scripts.run(MINT_FENCE, [keys.lock, keys.fence], [owner, Math.max(this.fenceRetentionMs, ttlMs)]);
    const reply = await this.guard('fence', name, run);
    return reply === null || reply === undefined ? undefined : parseLazyFence(reply);
  }

  async acquire(name: string, owner: string, ttlMs: number, reentrant: boolean, fence = false): Promise<AcquireResult> {
    if (reentrant) this.bare.delete(owner); // a second hold of the same holding changes its value
    const keys = lockKeys(this.prefix, name);
    const scriptKeys = [keys.lock, keys.fence, keys.waits];
    const args = [owner, ttlMs, reentrant ? '1' : '0', Math.max(this.fenceRetentionMs, ttlMs), fence ? '1' : '0'];
    const run = this.wait
      ? acquireWithReplicaWait(this.client, ACQUIRE, scriptKeys, args, this.wait, () => this.releaseOne(name, owner))
      : this.scripts.run(ACQUIRE, scriptKeys, args);
    const reply = (await this.guard('acquire', name, run)) as [
      number,
      string | number,
      number,
      string | null | undefined,
    ];
    if (reply[0] === 1) {
      if (Number(reply[2]) > 1) this.nested.add(owner);
      return { acquired: true, fence: parseLazyFence(reply[1]), holdCount: Number(reply[2]) };
    }
    return {
      acquired: false,
      holderTtlMs: Number(reply[1]),
      heldBySelf: reply[2] === 1,
      holderWaitsFor: reply[3] ? String(reply[3]) : null,
    };
  }

  /**
   * Releases one hold; the last one hands the lock to the fair queue's head, if anyone waited (RELEASE).
   * With `handOffUntil` (the releasing holding's validity end) and this store's own waiter known to
   * head the queue, that waiter goes on at once and Redis is told after (see {@link handOffLocally}).
   */
  async release(name: string, owner: string, handOffUntil?: number): Promise<number> {
    // (A full `nested` set, holdings lost and never released, turns the in-process hand-off off rather than guess.)
    if (
      handOffUntil !== undefined &&
      this.successors.any() &&
      !this.wait &&
      !this.nested.has(owner) &&
      this.nested.size < BARE_HINTS_MAX
    ) {
      const handed = this.handOffLocally(name, owner, handOffUntil);
      if (handed) return handed;
    }
    if (this.bare.delete(owner)) {
      const bareRun = this.scripts.run(RELEASE_BARE, [lockKey(this.prefix, name)], [unfencedLockValue(owner)]);
      if ((await this.guard('release', name, bareRun).catch(notOursIfWrongType(0))) === 1) return 0;
    }
    const reply = await this.guard('release', name, this.releaseOne(name, owner)).catch(notOursIfWrongType(-1));
    if (typeof reply !== 'string') {
      if (Number(reply) <= 1) this.nested.delete(owner);
      return Number(reply);
    }
    this.nested.delete(owner);
    // Handed over: a waiter in this process holds the lock now; tell it without the pub/sub trip.
    await this.subscriptions.handOver(lockKeys(this.prefix, name).channel, [reply]);
    return 0;
  }

  /**
   * The in-process hand-off (docs/fair-locking.md): when this store's own waiter heads the lock's
   * queue (see {@link LocalSuccessors}), it is told first, in this turn, with validity capped at the
   * releaser's (`until`) and a promise of Redis's answer; then RELEASE_TO, sent before that waiter can
   * send anything, makes it the owner without the lock ever being free. `undefined` when there is no
   * such waiter, or it did not take the grant (it stopped listening): the caller releases as usual.
   */
  private handOffLocally(name: string, owner: string, until: number): Promise<number> | undefined {
    if (until <= performance.now()) return undefined;
    const keys = lockKeys(this.prefix, name);
    const next = this.successors.takeHead(keys.channel);
    if (!next) return undefined;
    let settle!: (fence: number | undefined) => void;
    const confirmed = new Promise<number | undefined>((resolve) => (settle = resolve));
    let taken = false;
    this.subscriptions.deliverEvent(keys.channel, {
      kind: 'handedOff',
      fence: undefined,
      provisional: { until, confirmed },
      isFor: (candidate) => {
        if (candidate !== next.owner) return false;
        taken = true;
        return true;
      },
    });
    if (!taken) return undefined;
    this.bare.delete(owner);
    // Corked: the write leaves at the end of this turn, after the new holder resumed (in microtasks),
    // and still ahead of anything it sends on this connection.
    this.writes.hold(true);
    const args = [owner, this.fenceRetentionMs, next.owner, next.ttlMs];
    const run = this.scripts.run(RELEASE_TO, [keys.lock, keys.fence, keys.queue, keys.waiters], args);
    const reply = this.guard('release', name, run).catch(notOursIfWrongType(-1));
    reply.then(
      (r) => settle(typeof r === 'string' ? grantedFence(r) : undefined),
      () => settle(undefined),
    );
    return reply.then((r) => {
      this.nested.delete(owner);
      return typeof r === 'string' ? 0 : Number(r);
    });
  }

  /** The release script, unguarded (also the roll-back of an acquire whose replica `WAIT` fell short). */
  private releaseOne(name: string, owner: string): Promise<unknown> {
    const keys = lockKeys(this.prefix, name);
    return this.scripts.run(
      RELEASE,
      [keys.lock, keys.fence, keys.queue, keys.waiters],
      [owner, this.fenceRetentionMs, this.ownerTag],
    );
  }

  /** One fair-queue attempt (ACQUIRE_FAIR); see docs/fair-locking.md. */
  async acquireFair(
    name: string,
    owner: string,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    fence = false,
  ): Promise<FairAcquireResult> {
    const keys = lockKeys(this.prefix, name);
    const scriptKeys = [keys.lock, keys.fence, keys.queue, keys.waiters, keys.waits];
    const args = [owner, ttlMs, this.fenceRetentionMs, queueTtlMs, queue ? 'f' : 't', fence ? '1' : '0', this.ownerTag];
    const sentAt = performance.now();
    const run = this.wait
      ? acquireWithReplicaWait(this.client, ACQUIRE_FAIR, scriptKeys, args, this.wait, () =>
          this.releaseOne(name, owner),
        )
      : this.scripts.run(ACQUIRE_FAIR, scriptKeys, args);
    const reply = (await this.guard('acquire', name, run)) as [
      number,
      string | number,
      number,
      number,
      string | null | undefined,
      string | null | undefined,
      number | undefined,
      number | undefined,
    ];
    const channel = keys.channel;
    if (reply[0] === 1) {
      this.successors.left(channel, owner);
      return {
        acquired: true,
        fence: parseLazyFence(reply[1]),
        holdCount: Number(reply[2]),
        handedOff: reply[3] === 1,
      };
    }
    const queued = queue && reply[5] !== undefined && reply[5] !== null;
    if (queued) {
      const localAhead = reply[6] === 1;
      this.successors.queued(channel, owner, { seq: Number(reply[5]), localAhead, sentAt, queueTtlMs, ttlMs, fence });
    }
    return {
      acquired: false,
      holderTtlMs: Number(reply[1]),
      heldBySelf: false,
      holderWaitsFor: reply[4] ? String(reply[4]) : null,
      ...(queued && typeof reply[7] === 'number' ? { queuePosition: reply[7] } : {}),
    };
  }

  async leaveFairQueue(name: string, owner: string): Promise<void> {
    const keys = lockKeys(this.prefix, name);
    this.successors.left(keys.channel, owner);
    await this.guard(
      'release',
      name,
      this.scripts.run(
        LEAVE_FAIR_QUEUE,
        [keys.lock, keys.fence, keys.queue, keys.waiters],
        [owner, this.fenceRetentionMs],
      ),
    );
  }

  watched(name: string): boolean {
    return this.subscriptions.isActive(lockKeys(this.prefix, name).channel);
  }

  watchRelease(name: string, listener: ReleaseListener): (() => void) | undefined {
    return this.subscriptions.attachIfActive(lockKeys(this.prefix, name).channel, listener);
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const keys = lockKeys(this.prefix, name);
    const run = this.scripts.run(RENEW, [keys.lock], [owner, ttlMs]);
    const reply = await this.guard('renew', name, run).catch(notOursIfWrongType(0));
    return reply === 1;
  }

  /**
   * Renews many locks: chunks of {@link RENEW_MANY_CHUNK} in one script call each, all sent back to
   * back (one round trip); read-write lock and semaphore holdings (`family` set) by RENEW_PERMITS each. A failed chunk fails the whole batch with LockBackendError (the
   * watchdog retries soon); `false` means Redis refused: the owner no longer holds that lock.
   */
  async renewMany(requests: readonly RenewRequest[]): Promise<boolean[]> {
    if (requests.length === 0) return [];
    if (requests.some((r) => r.family !== undefined)) {
      // Read-write locks and semaphores renew by their own script, one call each; mutexes as below.
      const held = requests.filter((r): r is RenewRequest & { family: PermitFamily } => r.family !== undefined);
      const [mutexes, permits] = await Promise.all([
        this.renewMany(requests.filter((r) => r.family === undefined)),
        Promise.all(held.map((r) => this.renewPermits(r.name, r.family, r.owner, r.ttlMs))),
      ]);
      let m = 0;
      let p = 0;
      return requests.map((r) => (r.family === undefined ? mutexes[m++] : permits[p++]));
    }
    if (this.isCluster) {
      // Locks live on different slots; renew per key (auto-pipelined per node by ioredis).
      return Promise.all(requests.map((r) => this.renew(r.name, r.owner, r.ttlMs)));
    }
    const chunks: Promise<unknown>[] = [];
    for (let start = 0; start < requests.length; start += RENEW_MANY_CHUNK) {
      const chunk = requests.slice(start, start + RENEW_MANY_CHUNK);
      const keys = chunk.map((r) => lockKey(this.prefix, r.name));
      const args = chunk.flatMap((r) => [r.owner, r.ttlMs]);
      chunks.push(this.scripts.run({ ...RENEW_MANY, keys: keys.length }, keys, args));
    }
    const replies = (await this.guard('renew', undefined, Promise.all(chunks)).catch((error: unknown) => {
      // A key of another type fails its whole chunk: then renew one by one, so only that lock is refused.
      if (error instanceof LockBackendError && WRONG_TYPE.test(error.message)) return undefined;
      throw error;
    })) as number[][] | undefined;
    if (!replies) return Promise.all(requests.map((r) => this.renew(r.name, r.owner, r.ttlMs)));
    return replies.flat().map((reply) => reply === 1);
  }

  async inspect(name: string): Promise<StoredLockInfo> {
    const keys = lockKeys(this.prefix, name);
    // Sent back to back on one connection: one round trip in practice.
    const waiting = this.guard('inspect', name, this.scripts.run(COUNT_FAIR_WAITERS, [keys.queue, keys.waiters], []));
    waiting.catch(() => undefined);
    const [owner, holds, fence, pttl] = (await this.guard(
      'inspect',
      name,
      this.scripts.run(INSPECT, [keys.lock], []),
    )) as [string | null, string | null, string | null, number];
    const waiters = Number(await waiting);
    if (!owner) return { name, held: false, holdCount: 0, ttlMs: -2, waiters };
    const minted = parseLazyFence(fence);
    return {
      name,
      held: true,
      owner,
      holdCount: Number(holds),
      ttlMs: Number(pttl),
      ...(minted !== undefined ? { fence: minted } : {}),
      waiters,
    };
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    const names = await scanKeys({
      nodes: this.nodes(),
      match: `${globEscape(this.prefix)}{${globEscape(prefix)}*}`,
      limit,
      parse: (key) => {
        const name = nameFromLockKey(this.prefix, key);
        return name === undefined ? undefined : { id: name, value: name };
      },
      guard: (call) => this.guard('list', undefined, call),
    });
    return names.sort();
  }

  /** Every master of a Cluster, else the one client (what `list` scans). */
  private nodes(): RedisLikeClient[] {
    return this.isCluster ? (this.client as { nodes(role: string): RedisLikeClient[] }).nodes('master') : [this.client];
  }

  async forceRelease(name: string): Promise<boolean> {
    const keys = lockKeys(this.prefix, name);
    return (await this.guard('forceRelease', name, this.scripts.run(FORCE_RELEASE, [keys.lock], []))) === 1;
  }

  /** All-or-none in one script (ACQUIRE_MANY); `undefined` on Cluster or with replica `WAIT`, where keys are taken one by one. */
  async acquireMany(names: readonly string[], owner: string, ttlMs: number): Promise<AcquireManyResult | undefined> {
    if (this.isCluster || this.wait || names.length === 0) return undefined;
    const keys = names.flatMap((name) => {
      const k = lockKeys(this.prefix, name);
      return [k.lock, k.fence];
    });
    const script = { ...ACQUIRE_MANY, keys: keys.length };
    let reply: (string | number)[];
    try {
      const args = [owner, ttlMs, Math.max(this.fenceRetentionMs, ttlMs)];
      reply = (await this.guard('acquire', names[0], this.scripts.run(script, keys, args))) as (string | number)[];
    } catch (error) {
      if (!(error instanceof LockKeyTypeError)) throw error;
      // Some key is of another type (the script may have taken the keys before it): give those back,
      // and let the caller take the keys one by one, which names the key at fault.
      await Promise.all(names.map((name) => this.release(name, owner).catch(() => undefined)));
      return undefined;
    }
    if (Number(reply[0]) === 1) return { acquired: true, fences: reply.slice(1).map(parseFence) };
    return { acquired: false, busyIndex: Number(reply[1]) - 1, holderTtlMs: Number(reply[2]) };
  }

  /** Deadlock detection: owner-checked wait records in the held locks (one pipeline, or one call per lock on Cluster). */
  async setWaitsFor(held: readonly WaitsForEntry[], waitsFor: string | null, ttlMs: number): Promise<void> {
    if (held.length === 0) return;
    const calls = held.map((entry) => ({
      keys: waitRecordKeys(this.prefix, entry.name),
      args: [entry.owner, waitsFor ?? '', Math.max(1, Math.round(ttlMs))],
    }));
    if (this.isCluster) {
      await this.guard(
        'waitsFor',
        waitsFor ?? undefined,
        Promise.all(calls.map((c) => this.scripts.run(SET_WAITS_FOR, c.keys, c.args))),
      );
      return;
    }
    const replies = await this.guard('waitsFor', waitsFor ?? undefined, this.scripts.runMany(SET_WAITS_FOR, calls));
    const failure = replies.find((reply) => reply instanceof Error);
    if (failure)
      throw new LockBackendError('waitsFor', scrubError(failure, this.secrets).message, waitsFor ?? undefined);
  }

  /** Deadlock detection: the live wait record of `name`'s holder. */
  async waitsFor(name: string): Promise<string | undefined> {
    const reply = await this.guard(
      'waitsFor',
      name,
      this.scripts.run(WAITS_FOR, waitRecordKeys(this.prefix, name), []),
    );
    return reply ? String(reply) : undefined;
  }

  /** One read-write lock or semaphore attempt (ACQUIRE_PERMITS); see {@link PermitStore.acquirePermits}. */
  acquirePermits(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    reentrant: boolean,
  ): Promise<FairAcquireResult> {
    return this.permitOps.acquirePermits(name, owner, spec, ttlMs, queueTtlMs, queue, reentrant);
  }

  releasePermits(name: string, family: PermitFamily, owner: string): Promise<number> {
    return this.permitOps.releasePermits(name, family, owner);
  }

  renewPermits(name: string, family: PermitFamily, owner: string, ttlMs: number): Promise<boolean> {
    return this.permitOps.renewPermits(name, family, owner, ttlMs);
  }

  leavePermitQueue(name: string, family: PermitFamily, owner: string): Promise<void> {
    return this.permitOps.leavePermitQueue(name, family, owner);
  }

  inspectPermits(name: string, family: PermitFamily): Promise<StoredPermitInfo> {
    return this.permitOps.inspectPermits(name, family);
  }

  listPermits(prefix: string, limit: number): Promise<{ name: string; family: PermitFamily }[]> {
    return this.permitOps.listPermits(prefix, limit);
  }

  forceReleasePermits(name: string, family: PermitFamily): Promise<boolean> {
    return this.permitOps.forceReleasePermits(name, family);
  }

  onPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): Promise<() => void> {
    return this.permitOps.onPermitRelease(name, family, listener);
  }

  watchPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): (() => void) | undefined {
    return this.permitOps.watchPermitRelease(name, family, listener);
  }

  /** Release events of `name`, decoded from its channel's messages (see release-event.ts). */
  onRelease(name: string, listener: ReleaseListener): Promise<() => void> {
    return this.subscriptions.add(lockKeys(this.prefix, name).channel, listener);
  }

  async ping(): Promise<number> {
    const start = performance.now();
    await this.guard('ping', undefined, this.client.ping());
    return performance.now() - start;
  }

  /**
   * Health details: the client's state and last connection error (`'connection'`, nothing sent), and
   * with `'full'` whether every lock script is cached on the server, loading them again when a restart
   * or failover dropped them.
   */
  async diagnose(scope: 'connection' | 'full'): Promise<StoreDiagnosis> {
    const connection = { status: this.client.status, ...(this.lastError ? { lastError: this.lastError } : {}) };
    if (scope === 'connection') return { connection };
    let scriptsLoaded = await this.scriptsLoaded();
    if (scriptsLoaded) return { connection, scriptsLoaded };
    await this.init();
    scriptsLoaded = await this.scriptsLoaded();
    return { connection, scriptsLoaded, scriptsReloaded: true };
  }

  /** Whether every lock script is cached on the server (health detail). */
  scriptsLoaded(): Promise<boolean> {
    return this.guard('scripts', undefined, this.scripts.loaded(LOADED_SCRIPTS));
  }

  async close(): Promise<void> {
    this.bare.clear();
    this.successors.clear();
    this.nested.clear();
    await this.subscriptions.close();
    if (this.owned) await this.client.quit().catch(() => this.client.disconnect());
  }
}
