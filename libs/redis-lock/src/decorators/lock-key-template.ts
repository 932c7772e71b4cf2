import { createHash } from 'node:crypto';
import { InvalidLockKeyError, InvalidLockOptionsError } from '../errors/index.js';
import { unsafeRanges } from '../store/lock-keys.js';

/**
 * A lock key computed from a method's arguments: a template string (`'order:{0}'`,
 * `'order:{0.id}'`, `'user:{1.profile.id}'`), several templates (a multi-key lock), or a function
 * of the arguments returning one key or several.
 *
 * @example
 * const byOrder: LockKeySource<[Order]> = (order) => `order:${order.id}`;
 * const both: LockKeySource = ['account:{0}', 'account:{1}'];
 */
// `any[]` by default so that a bare `LockKeySource` accepts functions with typed parameters
// (`(order: Order) => …` is not assignable to `(...args: unknown[]) => …`).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LockKeySource<A extends unknown[] = any[]> =
  string | readonly string[] | ((...args: A) => string | readonly string[]);

/**
 * How `@WithLock` templates insert argument values into the key:
 * - `escape`: percent-encode (as UTF-8, `%3A`) every character of a value that could act as a
 *   separator or is not allowed in lock names: `%` `:` `{` `}` `/` `\` `|` `#` `,` `;` `=` `&` `?`
 *   `*` `[` `]`, whitespace, control characters (C0, DEL, C1), line/paragraph separators, bidi
 *   controls (U+202A–U+202E, U+2066–U+2069) and zero-width characters (U+200B–U+200D, U+2060,
 *   U+FEFF). Letters and digits of any script and `-` `.` `_` `~` `@` `+` `!` `$` `'` `(` `)` stay as
 *   they are, so ids, UUIDs and e-mail addresses give the same key as before and as a key built by
 *   hand (`order:${id}`). A value can therefore never produce a `:` of the template: `order:{0}` with
 *   `'5:items'` is `order:5%3Aitems`, not the key of `order:{0}:items` with `'5'`.
 * - `hash`: replace each value by the first 32 hex digits (128 bits) of the SHA-256 of its text; for
 *   values that are long, secret or of unbounded alphabet.
 * - `raw`: insert values as they are (a value with a `:` can then build another template's key).
 *
 * Key functions (`@WithLock((id) => ...)`) build the key themselves; nothing is encoded there.
 *
 * @default 'escape'
 * @example
 * @WithLock('file:{0}', { keyValues: 'hash' })
 * async index(path: string) { ... } // index('/srv/reports/2026-12.csv') locks file:96059892a853faeef04deb33441ae8b2
 */
export type KeyValueEncoding = 'escape' | 'hash' | 'raw';

const KEY_VALUE_ENCODINGS: readonly KeyValueEncoding[] = ['escape', 'hash', 'raw'];

/** Characters of a value that `escape` percent-encodes (see {@link KeyValueEncoding}). */
const ENCODED = new RegExp(`[%:{}/\\\\|#,;=&?*[\\]\\s${unsafeRanges()}]`, 'gu');

const percentEncode = (ch: string): string => {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
};

const ENCODERS: Record<KeyValueEncoding, (value: string) => string> = {
  escape: (value) => value.replace(ENCODED, percentEncode),
  hash: (value) => createHash('sha256').update(value).digest('hex').slice(0, 32),
  raw: (value) => value,
};

/** One `{…}` placeholder: argument index and property path. */
interface Placeholder {
  readonly text: string;
  readonly index: number;
  readonly path: readonly string[];
}

/** A parsed template: literal parts interleaved with placeholders (`parts.length === holes.length + 1`). */
interface ParsedTemplate {
  readonly template: string;
  readonly parts: readonly string[];
  readonly holes: readonly Placeholder[];
}

const PLACEHOLDER = /^(\d{1,3})((?:\.[A-Za-z_$][\w$]*|\.\d+)*)$/;

/**
 * Parses a key template once (at decoration time). Placeholders are `{<argument index>}` with an
 * optional property path: `{0}`, `{0.id}`, `{1.items.0.sku}`. Lock names cannot contain braces,
 * so every `{` opens a placeholder.
 *
 * @throws InvalidLockKeyError (field `key`) naming the template when it is malformed.
 * @example
 * parseKeyTemplate('order:{0.id}'); // one placeholder: argument 0, path ['id']
 */
function parseKeyTemplate(template: string): ParsedTemplate {
  if (typeof template !== 'string' || template.length === 0) {
    throw new InvalidLockKeyError('key', 'a @WithLock key template must be a non-empty string');
  }
  const parts: string[] = [];
  const holes: Placeholder[] = [];
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{');
    const strayClose = rest.indexOf('}');
    if (strayClose >= 0 && (open < 0 || strayClose < open)) {
      throw new InvalidLockKeyError('key', `template "${template}" has a "}" without a matching "{"`);
    }
    if (open < 0) {
      parts.push(rest);
      break;
    }
    const close = rest.indexOf('}', open);
    if (close < 0) throw new InvalidLockKeyError('key', `template "${template}" has a "{" without a matching "}"`);
    const inner = rest.slice(open + 1, close);
    const match = PLACEHOLDER.exec(inner);
    if (!match) {
      throw new InvalidLockKeyError(
        'key',
        `template "${template}" has an invalid placeholder "{${inner}}": use {<argument index>} or {<argument index>.<property>...}, e.g. {0} or {0.id}`,
      );
    }
    parts.push(rest.slice(0, open));
    holes.push({ text: `{${inner}}`, index: Number(match[1]), path: match[2] ? match[2].slice(1).split('.') : [] });
    rest = rest.slice(close + 1);
  }
  return { template, parts, holes };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Reads one placeholder from the arguments; a missing value fails naming the template and the argument. */
function readPlaceholder(parsed: ParsedTemplate, hole: Placeholder, args: readonly unknown[]): string {
  let value: unknown = args[hole.index];
  let reached = `argument ${hole.index}`;
  if (hole.index >= args.length) {
    throw new InvalidLockKeyError(
      'key',
      `template "${parsed.template}" reads ${hole.text}, but the method was called with ${args.length} argument(s)`,
    );
  }
  for (const segment of hole.path) {
    if (value === null || value === undefined) {
      throw new InvalidLockKeyError(
        'key',
        `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${value === null ? 'null' : 'undefined'}`,
      );
    }
    value = (value as Record<string, unknown>)[segment];
    reached += `.${segment}`;
  }
  if (value === null || value === undefined) {
    throw new InvalidLockKeyError(
      'key',
      `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${value === null ? 'null' : 'undefined'}`,
    );
  }
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean'
  ) {
    return String(value);
  }
  throw new InvalidLockKeyError(
    'key',
    `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${describe(value)}; point the placeholder at a string or number (e.g. {${hole.index}.id})`,
  );
}

/** Fills a parsed template from the arguments, each value passed through `encode`. */
function render(parsed: ParsedTemplate, args: readonly unknown[], encode: (value: string) => string): string {
  let out = parsed.parts[0];
  for (let i = 0; i < parsed.holes.length; i++)
    out += encode(readPlaceholder(parsed, parsed.holes[i], args)) + parsed.parts[i + 1];
  return out;
}

/**
 * Compiles a {@link LockKeySource} into a function of the arguments that returns the lock
 * name(s). Templates are parsed here, once, so a malformed template fails when the class is
 * defined; a template that reads a missing value fails at call time with an
 * `InvalidLockKeyError` naming the template and the argument. Template values are inserted per
 * `keyValues` ({@link KeyValueEncoding}).
 *
 * @example
 * const keyOf = compileLockKey('order:{0.id}');
 * keyOf([{ id: 42 }]);   // ['order:42']
 * keyOf([{ id: '5:x' }]); // ['order:5%3Ax']
 * keyOf([{}]);           // throws: template "order:{0.id}" reads {0.id}, but argument 0.id is undefined
 */
export function compileLockKey(
  source: LockKeySource,
  keyValues: KeyValueEncoding = 'escape',
): (args: readonly unknown[]) => string[] {
  if (!KEY_VALUE_ENCODINGS.includes(keyValues)) {
    throw new InvalidLockOptionsError(
      [{ path: 'options.keyValues', problem: `must be one of ${KEY_VALUE_ENCODINGS.join(', ')}` }],
      '@WithLock options',
    );
  }
  if (typeof source === 'function') {
    return (args) => {
      const result = source(...(args as unknown[]));
      const keys = typeof result === 'string' ? [result] : Array.isArray(result) ? [...result] : undefined;
      if (!keys || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
        throw new InvalidLockKeyError(
          'key',
          `the @WithLock key function returned ${describe(result)}; it must return a string or a non-empty array of strings`,
        );
      }
      return keys;
    };
  }
  const templates = typeof source === 'string' ? [source] : Array.isArray(source) ? source : undefined;
  if (!templates || templates.length === 0) {
    throw new InvalidLockKeyError(
      'key',
      '@WithLock needs a key: a template string, a non-empty array of templates, or a function of the arguments',
    );
  }
  const parsed = templates.map(parseKeyTemplate);
  const encode = ENCODERS[keyValues];
  return (args) => parsed.map((p) => render(p, args, encode));
}
