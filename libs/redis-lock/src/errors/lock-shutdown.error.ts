import { LockError } from './lock.error.js';

/**
 * The application is shutting down: new acquisitions are refused and waiting ones are cancelled.
 *
 * @example
 * await app.close();
 * await locks.tryLock('k'); // rejects with LockShutdownError
 */
export class LockShutdownError extends LockError {
  readonly code = 'shutdown' as const;

  constructor(key?: string) {
    super(`Lock service is shutting down; no new locks are granted${key ? ` (requested "${key}")` : ''}.`, key);
  }
}
