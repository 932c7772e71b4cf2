import { LockError } from './lock.error.js';

/**
 * Redis could not be reached or did not answer within the command timeout. Unlike
 * {@link LockAcquireTimeoutError} this says nothing about who holds the lock. The message and
 * `cause` are scrubbed of credentials.
 *
 * @example
 * try { await locks.tryLock('k'); }
 * catch (e) { if (e instanceof LockBackendError) return res.status(503).send('lock backend down'); }
 */
export class LockBackendError extends LockError {
  readonly code = 'backend' as const;
  /** The store operation that failed (`acquire`, `release`, `renew`, `ping`, ...). */
  readonly operation: string;
  /** Redis did not answer within the command timeout (as opposed to refusing the connection or the command). @default false */
  readonly timedOut: boolean;

  constructor(operation: string, message: string, key?: string, cause?: unknown, timedOut = false) {
    super(`Redis lock backend failed during ${operation}${key ? ` of "${key}"` : ''}: ${message}`, key, { cause });
    this.operation = operation;
    this.timedOut = timedOut;
  }
}
