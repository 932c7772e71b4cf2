import { InvalidLockKeyError } from '../errors/index.js';

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
export type LockKeySource<A extends unknown[] = any[]> = string | readonly string[] | ((...args: A) => string | readonly string[]);

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
      throw new InvalidLockKeyError('key', `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${value === null ? 'null' : 'undefined'}`);
    }
    value = (value as Record<string, unknown>)[segment];
    reached += `.${segment}`;
  }
  if (value === null || value === undefined) {
    throw new InvalidLockKeyError('key', `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${value === null ? 'null' : 'undefined'}`);
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  throw new InvalidLockKeyError(
    'key',
    `template "${parsed.template}" reads ${hole.text}, but ${reached} is ${describe(value)}; point the placeholder at a string or number (e.g. {${hole.index}.id})`,
  );
}

/** Fills a parsed template from the arguments. */
function render(parsed: ParsedTemplate, args: readonly unknown[]): string {
  let out = parsed.parts[0];
  for (let i = 0; i < parsed.holes.length; i++) out += readPlaceholder(parsed, parsed.holes[i], args) + parsed.parts[i + 1];
  return out;
}

/**
 * Compiles a {@link LockKeySource} into a function of the arguments that returns the lock
 * name(s). Templates are parsed here, once, so a malformed template fails when the class is
 * defined; a template that reads a missing value fails at call time with an
 * `InvalidLockKeyError` naming the template and the argument.
 *
 * @example
 * const keyOf = compileLockKey('order:{0.id}');
 * keyOf([{ id: 42 }]);   // ['order:42']
 * keyOf([{}]);           // throws: template "order:{0.id}" reads {0.id}, but argument 0.id is undefined
 */
export function compileLockKey(source: LockKeySource): (args: readonly unknown[]) => string[] {
  if (typeof source === 'function') {
    return (args) => {
      const result = source(...(args as unknown[]));
      const keys = typeof result === 'string' ? [result] : Array.isArray(result) ? [...result] : undefined;
      if (!keys || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
        throw new InvalidLockKeyError('key', `the @WithLock key function returned ${describe(result)}; it must return a string or a non-empty array of strings`);
      }
      return keys;
    };
  }
  const templates = typeof source === 'string' ? [source] : Array.isArray(source) ? source : undefined;
  if (!templates || templates.length === 0) {
    throw new InvalidLockKeyError('key', '@WithLock needs a key: a template string, a non-empty array of templates, or a function of the arguments');
  }
  const parsed = templates.map(parseKeyTemplate);
  return (args) => parsed.map((p) => render(p, args));
}
