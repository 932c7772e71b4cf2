import { LockError } from './lock.error.js';

/**
 * The application is shutting down: new acquisitions are refused and waiting ones are cancelled.
 * Also thrown by `handle.release()` after shutdown when the shutdown could not release that lock
 * (Redis did not answer; the lock then expires by its TTL).
 *
 * @example
 * await app.close();
 * await locks.tryLock('k'); // rejects with LockShutdownError
 */
export class LockShutdownError extends LockError {
  readonly code = 'shutdown' as const;

  /**
   * @param key the lock concerned
   * @param detail what happened to that lock; without it, the message says no new locks are granted
   */
  constructor(key?: string, detail?: string) {
    super(
      detail && key
        ? `Lock service shut down; lock "${key}" ${detail}.`
        : `Lock service is shutting down; no new locks are granted${key ? ` (requested "${key}")` : ''}.`,
      key,
    );
  }
}
