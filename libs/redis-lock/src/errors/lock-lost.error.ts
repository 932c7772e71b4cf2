import { LockError } from './lock.error.js';

/** Why a held lock was lost. */
export type LockLostReason = 'refused' | 'expired' | 'max_hold_time' | 'shutdown';

/**
 * A lock this process held was taken away while its critical section ran: Redis refused a renewal
 * (the key expired or belongs to someone else now), or its TTL passed without a successful renewal.
 * It is delivered as `handle.signal.reason` and to the `onLockLost` callback; it is never thrown
 * into the event loop.
 *
 * @example
 * await locks.withLock('sync', async (lock) => {
 *   for (const batch of batches) {
 *     lock.signal.throwIfAborted(); // throws LockLostError once the lock is gone
 *     await write(batch, lock.fence);
 *   }
 * });
 */
export class LockLostError extends LockError {
  readonly code = 'lost' as const;
  /** What happened: `refused` by Redis, TTL `expired`, `max_hold_time` reached, or `shutdown`. */
  readonly reason: LockLostReason;

  constructor(key: string, reason: LockLostReason) {
    const why: Record<LockLostReason, string> = {
      refused: 'Redis refused the renewal (the key expired or another owner holds it)',
      expired: 'its TTL passed without a successful renewal',
      max_hold_time: 'it was held longer than maxHoldTime, so renewal stopped',
      shutdown: 'the application shut down before the critical section finished',
    };
    super(`Lock "${key}" was lost: ${why[reason]}. Stop writing to the protected resource.`, key);
    this.reason = reason;
  }
}
