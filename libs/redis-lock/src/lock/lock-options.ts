import type { Duration } from '../config/duration.js';
import type { RetryStrategyOptions, RetryStrategyType } from '../config/redis-lock-options.js';
import type { LockLostError } from '../errors/index.js';

/**
 * A custom retry schedule: given the retry number (1 for the first retry), return the delay in ms.
 *
 * @example
 * const every50ms: RetryDelayFunction = () => 50;
 */
export type RetryDelayFunction = (retry: number) => number;

/**
 * Per-call options, named as the seed's `LockOptions` (camelCase). Every field falls back to the
 * module's `lock.*` defaults.
 *
 * @example
 * await locks.lockWithOptions('report', {
 *   expiration: '60s',
 *   retryStrategy: { type: 'exponential_backoff', maxInterval: '2s' },
 *   renewalEnabled: true,
 *   renewalThreshold: 0.5,
 *   maxRetries: 3,
 *   retryInterval: '100ms',
 * }, async (lock) => build(lock.fence));
 */
export interface LockOptions {
  /**
   * TTL of the lock, at least 3 ms (validity is the TTL minus a drift margin of 1% + 2 ms; a grant
   * that arrives after its validity ended is released and retried). @default lock.defaultTimeout ('30s')
   */
  expiration?: Duration;
  /** Another name for {@link expiration}. */
  ttl?: Duration;
  /** Retry schedule: a strategy object, a strategy name, or a function of the retry number. @default lock.retryStrategy */
  retryStrategy?: RetryStrategyOptions | RetryStrategyType | RetryDelayFunction;
  /** Renew automatically while held. @default lock.renewalEnabled for `withLock`/`lock*`, false for `acquire` */
  renewalEnabled?: boolean;
  /** Renew once this fraction of the TTL has elapsed (0.05–0.95). @default lock.renewalThreshold (0.5) */
  renewalThreshold?: number;
  /** Retries after the first attempt; -1 retries until `maxElapsedTime`. @default lock.maxRetries (3) */
  maxRetries?: number;
  /** First (for `fixed`: every) delay between attempts. @default lock.defaultRetryInterval ('100ms') */
  retryInterval?: Duration;
  /** Give up waiting after this long. @default lock.retryStrategy.maxElapsedTime ('30s') */
  maxElapsedTime?: Duration;
  /** Cancel waiting; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Reuse the lock when the current async context already holds it (hold count +1). @default true for withLock/lockReentrant, false for lock/lockWithOptions/acquire */
  reentrant?: boolean;
  /**
   * Wait in a fair queue in Redis: waiters get the lock in arrival order, each release hands it
   * straight to the next waiter (no acquire round trip, no thundering herd), and a waiter that
   * died drops out within 2 s. `false` races for the lock on each release (pub/sub wake-up).
   * `tryLock` with `fair` does not jump ahead of queued waiters. See docs/fair-locking.md.
   * @default lock.fair (true)
   */
  fair?: boolean;
  /**
   * Mint the fencing token inside the acquire: `lock.fence` is set at once and `getFence()` resolves
   * with no round trip. Without it the uncontended acquire is one native `SET NX PX` and the token is
   * minted (owner-checked) on the first `await lock.getFence()`; both are equally safe (see
   * docs/guide.md#fencing). A fair hand-off always carries its token.
   * @default lock.fence (false)
   */
  fence?: boolean;
  /**
   * Take the name's read-write lock instead of its mutex: `'read'` shares it with other readers,
   * `'write'` excludes everyone. Fair and writer-preferring, always fenced; a read inside a read or
   * a write of the same context is a reentrant hold, a write inside only a read fails at once with
   * `DeadlockError`. One key only. See docs/read-write-and-semaphores.md.
   * @default absent (the mutex)
   * @example
   * const lock = await locks.acquire('catalog', '10s', { mode: 'read' });
   */
  mode?: 'read' | 'write';
  /** Stop renewing after this long. @default lock.maxHoldTime ('30m') */
  maxHoldTime?: Duration;
  /** Low-cardinality name for metrics and statistics (never the resolved key). @default the key */
  name?: string;
  /** Called when this lock is lost (besides the module-wide `onLockLost`). */
  onLockLost?: (error: LockLostError) => void;
}
