import { LockError } from './lock.error.js';

/**
 * An operation needs the lock, but this handle no longer holds it (released, or expired).
 *
 * @example
 * await handle.release();
 * await handle.renew(); // rejects with LockNotHeldError
 */
export class LockNotHeldError extends LockError {
  readonly code = 'not_held' as const;

  constructor(key: string, detail = 'it was already released or has expired') {
    super(`Lock "${key}" is not held by this handle: ${detail}.`, key);
  }
}
