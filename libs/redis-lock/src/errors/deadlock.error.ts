import { LockError } from './lock.error.js';

/**
 * Waiting would never end: the wait-for chain leads back to the caller. This is thrown when a
 * non-reentrant lock is requested for a key the current async context already holds, and when
 * owners wait for each other's keys in a cycle.
 *
 * @example
 * await locks.lock('a', '5s', () => locks.lock('a', '5s', work)); // DeadlockError, keys ['a']
 */
export class DeadlockError extends LockError {
  readonly code = 'deadlock' as const;
  /** The keys that form the cycle, in wait order. */
  readonly keys: readonly string[];

  constructor(keys: string[], detail: string) {
    super(`Deadlock on [${keys.join(' -> ')}]: ${detail}.`, keys[0]);
    this.keys = keys;
  }
}
