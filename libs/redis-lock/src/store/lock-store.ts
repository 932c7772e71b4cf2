import type { AcquireResult, FairAcquireResult } from './acquire-result.js';
import type { PermitFamily, PermitStore } from './permit-store.js';

export type { AcquireResult, FairAcquireResult } from './acquire-result.js';
import type { ReleaseListener } from './release-event.js';

/** Outcome of one atomic all-or-none attempt at several locks ({@link LockStore.acquireMany}). */
export type AcquireManyResult =
  | { acquired: true; /** Fencing token per name, in the order given (always minted). */ fences: number[] }
  | {
      acquired: false;
      /** Index of the first busy name. */ busyIndex: number;
      /** Its holder's remaining TTL in ms. */ holderTtlMs: number;
    };

/** One lock an owner holds, for {@link LockStore.setWaitsFor}. */
export interface WaitsForEntry {
  name: string;
  owner: string;
}

/** What the store knows of one lock. */
export interface StoredLockInfo {
  /** The lock name (as the caller passed it). */
  name: string;
  held: boolean;
  /** Full owner token (bearer secret: callers must not expose it). */
  owner?: string;
  holdCount: number;
  /** Remaining TTL in ms, -2 when not held. */
  ttlMs: number;
  /** Fencing token of the holding; absent when not held or not minted yet. */
  fence?: number;
  /** Owners waiting in the fair queue (0 when unknown or unfair). */
  waiters: number;
}

/**
 * What a store can tell a health check beyond `ping` ({@link LockStore.diagnose}); every field is
 * optional, and none may contain credentials.
 *
 * @example
 * const d = await store.diagnose?.('full');
 * if (d?.scriptsLoaded === false) console.warn('lock scripts missing on the server');
 */
export interface StoreDiagnosis {
  /** The backend connection: its state (`ready` when connected) and the last connection error, scrubbed. */
  connection?: { status: string; lastError?: string };
  /** Whether every server-side script is cached on the server (after reloading them when needed). */
  scriptsLoaded?: boolean;
  /** The scripts were missing (a restart or failover dropped them) and were loaded again. */
  scriptsReloaded?: boolean;
}

/** One entry of a batched renewal. */
export interface RenewRequest {
  name: string;
  owner: string;
  ttlMs: number;
  /** A read-write lock's or semaphore's holding (see {@link PermitStore.renewPermits}); absent for a mutex. */
  family?: PermitFamily;
}

/**
 * The storage contract behind {@link LockService}. `RedisLockStore` implements it on Redis with
 * Lua scripts; `MemoryLockStore` implements it in process for unit tests. Read-write locks and
 * semaphores use the optional {@link PermitStore} methods (see `supportsPermits`). Both pass the same
 * contract test suite. Methods reject with `LockBackendError` when the backend fails; they never
 * throw for "busy" or "not owner", which are ordinary results.
 *
 * @example
 * const store: LockStore = new MemoryLockStore();
 * const r = await store.acquire('job', 'me:1', 1000, false);
 * if (r.acquired) await store.release('job', 'me:1');
 */
export interface LockStore extends Partial<PermitStore> {
  /** Short description for logs and health (`redis`, `memory`); never contains credentials. */
  readonly kind: string;
  /**
   * Optional: a suffix every owner token of this store's callers carries (`newOwnerToken(id, tag)`),
   * random per store instance. The Redis store's release script hands the lock to the queue's head and,
   * when the head carries this store's tag, does not publish the grant: the release reply hands it to
   * that waiter in this process (one pub/sub message less per contended hand-off). Not a secret.
   */
  readonly ownerTag?: string;
  /** Connect and load scripts. Safe to call more than once. */
  init(): Promise<void>;
  /**
   * One attempt to take (or, with `reentrant`, re-take) a lock for `owner`. With `fence` the fencing
   * token is minted in the same step (also for a reentrant hold of a lock that has none yet);
   * without it a new holding carries no token until {@link mintFence}.
   */
  acquire(name: string, owner: string, ttlMs: number, reentrant: boolean, fence?: boolean): Promise<AcquireResult>;
  /**
   * Optional fast path: take a free lock with one native write (`SET key value NX PX ttl` on Redis),
   * no fencing token, no queue, no reentrancy. `false` when the lock exists (held by anyone, this
   * owner included): the caller then goes on to {@link acquire} / {@link acquireFair}, which answer
   * busy properly (queueing, deadlock records). Never used for a call that asked for `fence: true`.
   */
  claim?(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Optional: whether this process listens on the lock's release channel now (a waiter here, or one a
   * moment ago), i.e. the lock is contended; an acquire then skips {@link claim}, whose answer would
   * only be "busy" (one round trip saved per contended acquisition). Sends nothing.
   */
  watched?(name: string): boolean;
  /**
   * Mints the fencing token of the holding of `owner` if it has none (owner-checked, strictly above
   * every earlier token of the name) and returns it; returns the existing token if it was minted
   * already, `undefined` when `owner` no longer holds the lock. `ttlMs` is the holding's TTL (the
   * token counter lives at least that long).
   */
  mintFence(name: string, owner: string, ttlMs: number): Promise<number | undefined>;
  /**
   * Drop one hold; returns the holds left (0 = fully released, waiters woken), or -1 when `owner` did not hold it.
   * `handOffUntil`: the releasing holding's validity end (monotonic ms), when the caller allows an
   * in-process hand-off: a store that knows its own waiter heads the fair queue may let it go on before
   * the backend answers, with validity no later than that (a `provisional` `handedOff` event; see
   * docs/fair-locking.md, "In-process hand-off"). Stores without one ignore it.
   */
  release(name: string, owner: string, handOffUntil?: number): Promise<number>;
  /** Owner-checked TTL reset; `false` when `owner` no longer holds it. */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Many renewals in one round trip; one entry per request, `false` for refused ones. */
  renewMany(requests: readonly RenewRequest[]): Promise<boolean[]>;
  /** Current state of a lock. */
  inspect(name: string): Promise<StoredLockInfo>;
  /** Names of held locks whose name starts with `prefix`, at most `limit` of them. */
  list(prefix: string, limit: number): Promise<string[]>;
  /** Delete a lock whoever holds it, waking waiters. Returns whether it existed. */
  forceRelease(name: string): Promise<boolean>;
  /**
   * Call `listener` whenever the lock is fully released (a `released` or, when a release handed it to
   * the fair queue's head, a `handedOff` `ReleaseEvent`). Resolves once the subscription is
   * active, so a release after that point is never missed; the returned function unsubscribes.
   */
  onRelease(name: string, listener: ReleaseListener): Promise<() => void>;
  /**
   * Fair queue (optional; see docs/fair-locking.md). One attempt that respects the queue: a free
   * lock is taken only when no live waiter is ahead; with `queue: true` a busy lock enqueues (or
   * refreshes) `owner` until `queueTtlMs` from now. A release hands the lock straight to the
   * queue's head and tells it (a `handedOff` release event), so the head needs no acquire of its own;
   * a hand-off always mints the token (the grant carries it). `fence` as for {@link acquire}.
   */
  acquireFair?(
    name: string,
    owner: string,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    fence?: boolean,
  ): Promise<FairAcquireResult>;
  /** Leave the fair queue; when a release already handed `owner` the lock, release it to the next waiter. */
  leaveFairQueue?(name: string, owner: string): Promise<void>;
  /**
   * Add a release listener synchronously, only when the channel is already subscribed (no command
   * sent); `undefined` otherwise. Lets a waiter listen before its first attempt at no cost.
   */
  watchRelease?(name: string, listener: ReleaseListener): (() => void) | undefined;
  /**
   * Optional (multi-key locks): one atomic attempt to take every name for `owner` (all or none),
   * or `undefined` when this store cannot do it atomically for these names (e.g. they live on
   * different Redis Cluster slots); the caller then takes them one by one in canonical order.
   */
  acquireMany?(names: readonly string[], owner: string, ttlMs: number): Promise<AcquireManyResult | undefined>;
  /**
   * Optional (deadlock detection): record in each lock of `held` (owner-checked) that its owner
   * now waits for `waitsFor`, for `ttlMs`; `null` withdraws the record. Busy answers of `acquire`
   * report the holder's record as `holderWaitsFor`.
   */
  setWaitsFor?(held: readonly WaitsForEntry[], waitsFor: string | null, ttlMs: number): Promise<void>;
  /** Optional (deadlock detection): what the holder of `name` waits for, if it recorded a live wait. */
  waitsFor?(name: string): Promise<string | undefined>;
  /**
   * Optional, for health checks: `'connection'` reports the connection state without sending
   * anything; `'full'` also checks (and repairs) what the backend needs, e.g. its cached scripts.
   */
  diagnose?(scope: 'connection' | 'full'): Promise<StoreDiagnosis>;
  /** Round trip to the backend; resolves with its latency in ms. */
  ping(): Promise<number>;
  /** Stop timers and close the connections this store created. */
  close(): Promise<void>;
}
