import { LockError } from './lock.error.js';

/**
 * A Redis key where this lock's data lives holds another type of value (Redis answered
 * `WRONGTYPE`): another client wrote, say, a hash at `<prefix>{name}` or one of its `:fence`, `:w`,
 * `:q`, `:qw` keys. Only this lock fails: it is not a backend failure, so it never counts toward the
 * circuit breaker, and `list()` skips such keys. The key is left alone: delete or rename it (or give
 * this module another `keyPrefix`).
 *
 * @example
 * await locks.tryLock('order:7').catch((e) => {
 *   if (e instanceof LockKeyTypeError) logger.error(`${e.redisKey} is not a lock: ${e.message}`);
 *   throw e;
 * });
 */
export class LockKeyTypeError extends LockError {
  readonly code = 'wrong_type' as const;
  /** The lock's main Redis key (`<prefix>{name}`); the other type may be at it or at one of its suffixed keys. */
  readonly redisKey: string;

  constructor(key: string, redisKey: string, operation: string) {
    super(
      `Lock "${key}" cannot be used: a key of another Redis type is in its place (WRONGTYPE during ${operation}). ` +
        `Check "${redisKey}" and its ":fence", ":w", ":q", ":qw" keys; ` +
        'delete or rename the foreign key, or use another keyPrefix.',
      key,
    );
    this.redisKey = redisKey;
  }
}
