import { MAX_KEY_BYTES } from '../config/limits.js';
import { InvalidLockKeyError } from '../errors/index.js';
import type { PermitFamily } from './permit-store.js';

/**
 * Characters refused in lock names (and other names that reach log lines): C0 controls, DEL, C1
 * controls (U+0080–U+009F), the line and paragraph separators (U+2028, U+2029), bidirectional
 * controls (U+202A–U+202E, U+2066–U+2069) and zero-width characters (U+200B–U+200D, U+2060,
 * U+FEFF). In a log line they break lines, reorder or hide text, or make two names look alike.
 *
 * @example
 * UNSAFE_NAME_CHARACTER.test('order:\u202e42'); // true
 */
export const UNSAFE_NAME_CHARACTER = new RegExp(`[${unsafeRanges()}]`);
const UNSAFE_ALL = new RegExp(UNSAFE_NAME_CHARACTER.source, 'g');

/**
 * The ranges of {@link UNSAFE_NAME_CHARACTER} as the body of a RegExp character class, for patterns
 * that refuse more (`[^{}\\s${unsafeRanges()}]`).
 *
 * @example
 * new RegExp(`^[^\\s${unsafeRanges()}]+$`).test('api-1'); // true
 */
export function unsafeRanges(): string {
  return '\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200d\\u2028-\\u202e\\u2060\\u2066-\\u2069\\ufeff';
}

/** `U+202E`: a code point as Unicode writes it. */
const codePoint = (ch: string): string => `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

function kindOf(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c <= 0x1f || c === 0x7f) return 'a control character';
  if (c <= 0x9f) return 'a C1 control character';
  if (c === 0x2028 || c === 0x2029) return 'a line or paragraph separator';
  if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return 'a bidirectional control';
  return 'a zero-width character';
}

/**
 * The text with every {@link UNSAFE_NAME_CHARACTER} written as a `\uXXXX` escape, so it can be shown
 * in a message or log line as it is.
 *
 * @example
 * escapeUnsafeCharacters('a\u202eb'); // 'a\\u202eb'
 */
export function escapeUnsafeCharacters(text: string): string {
  return text.replace(UNSAFE_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Checks a lock name and returns it. Names are non-empty strings of at most 512 UTF-8 bytes
 * without `{`, `}` (they would move the Cluster hash slot) or any `UNSAFE_NAME_CHARACTER`
 * (control, line-separator, bidi and zero-width characters: log injection, look-alike names). The
 * error names the first such character as a code point and its position.
 *
 * @example
 * assertLockName('order:42');   // 'order:42'
 * assertLockName('a{b}');       // throws InvalidLockKeyError (field "key")
 * assertLockName('a\u202eb');   // throws: must not contain U+202E (a bidirectional control) at position 1 ...
 */
export function assertLockName(name: unknown, field = 'key'): string {
  if (typeof name !== 'string')
    throw new InvalidLockKeyError(field, `must be a string, got ${name === null ? 'null' : typeof name}`);
  if (name.length === 0) throw new InvalidLockKeyError(field, 'must not be empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidLockKeyError(field, `must be at most ${MAX_KEY_BYTES} bytes`, name.slice(0, 32) + '…');
  }
  if (name.includes('{') || name.includes('}')) {
    throw new InvalidLockKeyError(
      field,
      'must not contain "{" or "}" (they would change the Redis Cluster hash slot)',
      name,
    );
  }
  const unsafe = UNSAFE_NAME_CHARACTER.exec(name);
  if (unsafe) {
    const ch = unsafe[0];
    throw new InvalidLockKeyError(
      field,
      `must not contain ${codePoint(ch)} (${kindOf(ch)}) at position ${unsafe.index}: control, line-separator, bidi and zero-width characters are refused`,
      escapeUnsafeCharacters(name),
    );
  }
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
  return {
    lock,
    fence: `${lock}:fence`,
    waits: `${lock}:w`,
    queue: `${lock}:q`,
    waiters: `${lock}:qw`,
    channel: `${lock}:released`,
  };
}

/** Recovers the lock name from a lock key built by {@link lockKeys}, or `undefined` for other keys. */
export function nameFromLockKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}{`) || !key.endsWith('}')) return undefined;
  return key.slice(prefix.length + 1, -1);
}

/** The Redis keys and channel of one read-write lock or semaphore (one hash tag, so one Cluster slot). */
export interface PermitKeys {
  /** Live holders: a sorted set of owner tokens scored by expiry (server ms). Also what `list` scans for. */
  holders: string;
  /** Holder details: owner token → `"<count> <holds> <fence>"`; field `#l` the limit, `#u` the permits used. */
  info: string;
  /** The queue: a sorted set of owner tokens by arrival number. */
  queue: string;
  /** Waiter info: owner token → `"<deadline ms>:<ttl ms>:<count>:<m|s>"`, the arrival counter in field `#`. */
  waiters: string;
  /** The fencing-token counter. */
  fence: string;
  /** The release channel (pub/sub): hand-off grants as for mutexes. */
  channel: string;
}

/**
 * Every Redis key of a read-write lock (`family` `rw`) or semaphore (`sem`): `<prefix>{<name>}:<family>`
 * and `…:i`, `…:q`, `…:qw`, `…:fence`, `…:released` after it.
 *
 * @example
 * permitKeys('lynx:lock:', 'report', 'rw').holders; // 'lynx:lock:{report}:rw'
 */
export function permitKeys(prefix: string, name: string, family: PermitFamily): PermitKeys {
  const holders = `${lockKey(prefix, name)}:${family}`;
  return {
    holders,
    info: `${holders}:i`,
    queue: `${holders}:q`,
    waiters: `${holders}:qw`,
    fence: `${holders}:fence`,
    channel: `${holders}:released`,
  };
}

/** Recovers the name and family from a holders key built by {@link permitKeys}, or `undefined` for other keys. */
export function nameFromPermitKey(prefix: string, key: string): { name: string; family: PermitFamily } | undefined {
  for (const family of ['rw', 'sem'] as const) {
    const suffix = `}:${family}`;
    if (key.startsWith(`${prefix}{`) && key.endsWith(suffix)) {
      return { name: key.slice(prefix.length + 1, -suffix.length), family };
    }
  }
  return undefined;
}
