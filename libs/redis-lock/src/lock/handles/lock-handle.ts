import { performance } from 'node:perf_hooks';
import type { Duration } from '../../config/duration.js';
import { LockLostError, LockNotHeldError, type LockLostReason } from '../../errors/index.js';
import type { HeldPrimitive, LockKind } from '../lock-kind.js';

/** What a handle needs from the service that issued it (internal). */
export interface HandleController {
  renewHandle(handle: LockHandle, ttl?: Duration): Promise<void>;
  releaseHandle(handle: LockHandle): Promise<boolean>;
  remainingTtl(handle: LockHandle): Promise<number>;
  /** Mints (owner-checked) the fencing token of a root handle that has none; rejects when the lock is lost. */
  mintFence(handle: LockHandle): Promise<number>;
}

/** Internal state of a handle, shared with the renewal scheduler. */
export interface HandleState {
  ttlMs: number;
  /**
   * An in-process hand-off Redis has not answered yet (see `ProvisionalHandOff`): resolves with the
   * token the hand-over minted, `undefined` when Redis did not make this holding the owner.
   */
  handOff?: Promise<number | undefined>;
  /** Monotonic time (ms) after which the lock must be assumed gone. */
  expiresAt: number;
  /** Monotonic time at which the watchdog renews. */
  renewAt: number;
  /** Monotonic acquisition time. */
  acquiredAt: number;
  autoRenew: boolean;
  renewalThreshold: number;
  maxHoldMs: number;
  label: string;
  /** Identifies the holding within this process (shared by its reentrant holds), for events. */
  ownership: number;
  status: 'held' | 'released' | 'lost';
  /**
   * `lockAtLeastFor` (@WithLock): monotonic time before which a release keeps the lock in Redis
   * (its TTL set to the time left) instead of deleting it.
   */
  keepUntil?: number;
  /** A read-write lock's or semaphore's holding (absent for a mutex). */
  primitive?: HeldPrimitive;
}

/**
 * One acquisition of a lock (the seed's `*RedisLock`). Obtained from `acquire`/`tryLock`, or
 * passed to the callback of `withLock`/`lock*`.
 *
 * - `getFence()`: the fencing token; pass it to the resource you protect and reject lower ones there.
 *   Minted on first use (or inside the acquire with `fence: true`), then cached in `fence`.
 * - `signal`: aborts (reason {@link LockLostError}) the moment the lock is known to be lost.
 *
 * @example
 * const lock = await locks.acquire('invoice:7', '30s');
 * try {
 *   await db.save(invoice, { fence: await lock.getFence(), signal: lock.signal });
 * } finally {
 *   await lock.release();
 * }
 */
export class LockHandle {
  /** Wall-clock time of acquisition (ms since epoch), for display. */
  readonly acquiredAt: number;
  /** @internal */
  readonly state: HandleState;
  private readonly controller: AbortController;
  private releasing?: Promise<boolean>;
  private token?: number;
  private minting?: Promise<number>;

  /** @internal Use `LockService` to obtain handles. */
  constructor(
    private readonly key: string,
    private readonly owner: string,
    fence: number | undefined,
    /** Holds of this owner once this acquisition succeeded (>1 for a reentrant acquisition). */
    readonly holdCount: number,
    state: HandleState,
    private readonly service: HandleController,
    /** The enclosing hold, for a reentrant acquisition. */
    readonly parent?: LockHandle,
  ) {
    this.state = state;
    if (fence !== undefined) this.setFence(fence);
    this.acquiredAt = Date.now();
    this.controller = new AbortController();
    if (parent) {
      const follow = () => this.controller.abort(parent.signal.reason);
      if (parent.signal.aborted) follow();
      else parent.signal.addEventListener('abort', follow, { once: true });
    }
  }

  /**
   * Fencing token of this ownership once known (strictly greater than every earlier token for the
   * key), `undefined` until {@link getFence} minted it (or the acquire did, with `fence: true`, or a
   * fair hand-off; an in-process hand-off's token is known once Redis answered it, see
   * docs/fair-locking.md). A reentrant hold shares its outer hold's token.
   */
  get fence(): number | undefined {
    return this.parent ? this.parent.fence : this.token;
  }

  /**
   * The fencing token of this ownership: minted on first use by an owner-checked script (strictly
   * greater than every earlier token for the key), cached after that (and at once with `fence: true`).
   * Rejects with {@link LockLostError} when Redis no longer has the lock for this owner (so a stale
   * holder never obtains a token), with {@link LockNotHeldError} after release (unless the token was
   * known before), and with `LockBackendError` when Redis fails (a later call retries).
   *
   * @example
   * await db.write(row, { fence: await lock.getFence() }); // the database rejects lower tokens
   */
  getFence(): Promise<number> {
    if (this.parent) return this.parent.getFence();
    if (this.token !== undefined) return Promise.resolve(this.token);
    if (this.state.status === 'lost') return Promise.reject(this.signal.reason);
    if (this.state.status !== 'held') return Promise.reject(new LockNotHeldError(this.key));
    this.minting ??= this.service.mintFence(this).finally(() => (this.minting = undefined));
    return this.minting;
  }

  /** @internal The token, once known (the acquire's, a reentrant acquire's, or a minted one). */
  setFence(fence: number): void {
    (this.parent ?? this).token ??= fence;
  }

  /** Aborts with a {@link LockLostError} when the lock is lost. Never aborts on a normal release. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * What this handle holds: `mutex`, `read` or `write` (a read-write lock; a read inside a write is a
   * hold of the write), or `semaphore`.
   */
  get kind(): LockKind {
    return (this.parent ?? this).state.primitive?.kind ?? 'mutex';
  }

  /** Permits this holding takes: a semaphore's count, 1 for anything else. */
  get permits(): number {
    const primitive = (this.parent ?? this).state.primitive;
    return primitive?.kind === 'semaphore' ? primitive.spec.count : 1;
  }

  /** The lock name as the caller passed it (not the Redis key). */
  getKey(): string {
    return this.key;
  }

  /** The owner token stored in Redis. A bearer secret: whoever knows it can release the lock. */
  getValue(): string {
    return this.owner;
  }

  /** Remaining TTL in ms as Redis reports it now (0 when no longer held by this handle). */
  getExpiration(): Promise<number> {
    return this.service.remainingTtl(this);
  }

  /**
   * Whether this handle still holds the lock, judged locally: not released, not lost, and its
   * validity (measured on a monotonic clock from before the acquire was sent) not yet run out.
   */
  isHeld(): boolean {
    if (this.parent && !this.parent.isHeld()) return false;
    return this.state.status === 'held' && performance.now() < this.state.expiresAt;
  }

  /**
   * Extends the lock to `ttl` (default: its current TTL, at least 3 ms) from now. Rejects with
   * {@link LockNotHeldError} after release and {@link LockLostError} when Redis refuses, or when the
   * lock's validity ended (and `signal` aborted) before the answer came.
   */
  renew(ttl?: Duration): Promise<void> {
    if (this.state.status === 'lost') return Promise.reject(this.signal.reason);
    if (this.state.status !== 'held') return Promise.reject(new LockNotHeldError(this.key));
    return this.service.renewHandle(this.parent ?? this, ttl);
  }

  /**
   * Releases this hold. Idempotent: later calls return the first call's result. Resolves `true`
   * when Redis still had the lock for this owner, `false` when it had already expired or been
   * taken over (then `signal` aborts with a {@link LockLostError} and `onLockLost` runs, if the
   * loss was not reported before). Rejects only with `LockBackendError` (the lock then expires by
   * its TTL). After the module shut down (which releases every held lock) it sends nothing: it
   * resolves `false` when the shutdown released the lock, and rejects with `LockShutdownError` when
   * the shutdown could not.
   *
   * @example
   * if (!(await lock.release())) logger.warn('the lock expired before the work finished');
   */
  release(): Promise<boolean> {
    this.releasing ??= this.service.releaseHandle(this);
    return this.releasing;
  }

  /** @internal Marks the lock lost and aborts `signal`. Returns the error, or undefined if it was not held. */
  markLost(reason: LockLostReason): LockLostError | undefined {
    if (this.state.status !== 'held') return undefined;
    this.state.status = 'lost';
    const error = new LockLostError(this.key, reason);
    this.controller.abort(error);
    return error;
  }

  /** A log-safe description. */
  toString(): string {
    return `LockHandle(${this.key}, fence=${this.fence ?? '-'}, ${this.state.status})`;
  }

  /** Keeps the owner token out of `JSON.stringify` and `util.inspect` output. */
  toJSON(): Record<string, unknown> {
    return {
      key: this.key,
      fence: this.fence,
      holdCount: this.holdCount,
      status: this.state.status,
      acquiredAt: this.acquiredAt,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
