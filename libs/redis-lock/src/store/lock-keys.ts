import { MAX_KEY_BYTES } from '../config/limits.js';
import { InvalidLockKeyError } from '../errors/index.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Checks a lock name and returns it. Names are non-empty strings of at most 512 UTF-8 bytes
 * without `{`, `}` (they would move the Cluster hash slot) or control characters (log injection).
 *
 * @example
 * assertLockName('order:42');   // 'order:42'
 * assertLockName('a{b}');       // throws InvalidLockKeyError (field "key")
 */
export function assertLockName(name: unknown, field = 'key'): string {
  if (typeof name !== 'string') throw new InvalidLockKeyError(field, `must be a string, got ${name === null ? 'null' : typeof name}`);
  if (name.length === 0) throw new InvalidLockKeyError(field, 'must not be empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidLockKeyError(field, `must be at most ${MAX_KEY_BYTES} bytes`, name.slice(0, 32) + '…');
  }
  if (name.includes('{') || name.includes('}')) {
    throw new InvalidLockKeyError(field, 'must not contain "{" or "}" (they would change the Redis Cluster hash slot)', name);
  }
  if (CONTROL.test(name)) throw new InvalidLockKeyError(field, 'must not contain control characters', JSON.stringify(name));
  return name;
}

/** The Redis keys and channel of one lock; all share the hash tag `{name}` so they stay on one slot. */
export interface LockKeys {
  /** The lock itself: a string `"<fence> <holds> <waited> <owner>"` with the lock's TTL. */
  lock: string;
  /** The fencing-token counter. */
  fence: string;
  /** The holder's wait record (deadlock detection). */
  waits: string;
  /** The fair queue: a sorted set of owner tokens by arrival number. */
  queue: string;
  /** The fair queue's waiter info: owner token → `"<deadline ms>:<ttl ms>"`, and the arrival counter in field `#`. */
  waiters: string;
  /** The release channel (pub/sub). */
  channel: string;
}

/**
 * The key of the lock itself, `<prefix>{<name>}` (the others add a suffix to it).
 *
 * @example
 * lockKey('lynx:lock:', 'job'); // 'lynx:lock:{job}'
 */
export function lockKey(prefix: string, name: string): string {
  return `${prefix}{${name}}`;
}

/**
 * Every Redis key of a lock, and its channel: `<prefix>{<name>}`, `…:fence`, `…:w`, the fair queue's
 * `…:q` and `…:qw`, and the `…:released` channel (one hash tag, so one Cluster slot).
 *
 * @example
 * lockKeys('lynx:lock:', 'job').lock; // 'lynx:lock:{job}'
 */
export function lockKeys(prefix: string, name: string): LockKeys {
  const lock = lockKey(prefix, name);
  return { lock, fence: `${lock}:fence`, waits: `${lock}:w`, queue: `${lock}:q`, waiters: `${lock}:qw`, channel: `${lock}:released` };
}

/** Recovers the lock name from a lock key built by {@link lockKeys}, or `undefined` for other keys. */
export function nameFromLockKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}{`) || !key.endsWith('}')) return undefined;
  return key.slice(prefix.length + 1, -1);
}
