/**
 * Machine-readable codes of every {@link LockError}; also the `reason` label of
 * `lynx_redis_lock_errors_total`.
 */
export type LockErrorCode =
  | 'timeout'
  | 'not_held'
  | 'lost'
  | 'backend'
  | 'invalid_key'
  | 'invalid_options'
  | 'shutdown'
  | 'deadlock'
  | 'wrong_type';

/**
 * Base class of every error this library throws. Catch it to handle all lock failures at once, or
 * catch a subclass (`LockAcquireTimeoutError`, `LockBackendError`, ...) to tell "busy" from
 * "Redis is down".
 *
 * @example
 * try {
 *   await locks.withLock('order:42', () => ship());
 * } catch (err) {
 *   if (err instanceof LockError) logger.warn(`${err.code}: ${err.message}`);
 *   else throw err;
 * }
 */
export abstract class LockError extends Error {
  /** Stable, machine-readable failure code. */
  abstract readonly code: LockErrorCode;
  /** The lock name the failure concerns, when there is one. */
  readonly key?: string;

  protected constructor(message: string, key?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.key = key;
  }
}
