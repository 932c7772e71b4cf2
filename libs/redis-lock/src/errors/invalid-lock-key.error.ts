import { LockError } from './lock.error.js';

/**
 * A lock name was rejected before anything was sent to Redis: empty, not a string, longer than
 * 512 bytes, or containing `{`, `}`, control characters (C0, DEL, C1), line/paragraph separators,
 * bidi controls or zero-width characters (the message names the character as a code point, `U+202E`;
 * `key` holds the name with such characters escaped).
 *
 * @example
 * await locks.tryLock('user:{42}'); // rejects: braces would change the Cluster hash slot
 */
export class InvalidLockKeyError extends LockError {
  readonly code = 'invalid_key' as const;
  /** The field that held the bad key (`key`, `keys[1]`, `keyPrefix`). */
  readonly field: string;

  constructor(field: string, problem: string, key?: string) {
    super(`Invalid lock key in "${field}": ${problem}.`, key);
    this.field = field;
  }
}
