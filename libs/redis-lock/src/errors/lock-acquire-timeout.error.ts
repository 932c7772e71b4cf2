import { LockError } from './lock.error.js';

/**
 * The lock stayed busy: another owner held it through every retry (`maxRetries`) or until
 * `maxElapsedTime` passed. Redis itself answered; compare {@link LockBackendError}.
 *
 * @example
 * await locks.acquire('report', '30s').catch((e) => {
 *   if (e instanceof LockAcquireTimeoutError) return null; // someone else is running it
 *   throw e;
 * });
 */
export class LockAcquireTimeoutError extends LockError {
  readonly code = 'timeout' as const;
  /** Attempts made, including the first. */
  readonly attempts: number;
  /** Milliseconds spent waiting. */
  readonly waitedMs: number;

  /** What was asked for: a `mutex`, the `read` or `write` side of a read-write lock, or `semaphore` permits. */
  readonly kind: 'mutex' | 'read' | 'write' | 'semaphore';

  constructor(key: string, attempts: number, waitedMs: number, kind: LockAcquireTimeoutError['kind'] = 'mutex') {
    const gaveUp = `gave up after ${attempts} attempt(s) in ${Math.round(waitedMs)} ms`;
    super(
      kind === 'semaphore'
        ? `Semaphore "${key}" has no free permits: ${gaveUp}. Raise maxRetries / maxElapsedTime or permits, or use tryAcquire() to skip when full.`
        : `Lock "${key}" is held by another owner: ${gaveUp}. ` +
            'Raise maxRetries / maxElapsedTime, or use tryLock() to skip when busy.',
      key,
    );
    this.attempts = attempts;
    this.waitedMs = waitedMs;
    this.kind = kind;
  }
}
