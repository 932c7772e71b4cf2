import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as YamlModule from 'yaml';
import { InvalidLockOptionsError, type OptionProblem } from '../errors/index.js';
import { loadOptionalPeer } from '../runtime/optional-peer.loader.js';
import type { RedisLockModuleOptions } from './redis-lock-options.js';
import { MAX_REFERENCE_DEPTH, expandReferences } from './env-references.js';
import { readBoundedFile } from './read-bounded-file.js';
import { resolveModuleOptions } from './validate-options.js';
import { indexYamlDocument } from './yaml-document-index.js';

/**
 * Largest configuration file {@link loadYamlConfig} reads: 1 MiB. A larger file is refused before it is
 * read or parsed (a lock configuration is a few hundred bytes; the rest of an app's settings rarely
 * reach 100 KiB). Raise it per call with the `maxBytes` option.
 *
 * @default 1048576
 * @example
 * loadYamlConfig('config.yaml', process.env, { maxBytes: 2 * MAX_YAML_CONFIG_BYTES });
 */
export const MAX_YAML_CONFIG_BYTES = 1024 * 1024;

/**
 * Most values that aliases in `lynx.redis` may expand to, in all. Ten aliases of a list of ten
 * aliases of ... grow exponentially (an "alias bomb"); real configurations stay far below this.
 */
const MAX_ALIAS_VALUES = 10_000;
/** Deepest nesting of mappings and lists under `lynx.redis` (real options nest 4 deep). */
const MAX_OPTION_DEPTH = 32;

/** Options of {@link loadYamlConfig}. */
export interface YamlConfigLoadOptions {
  /**
   * Files larger than this many bytes are refused before they are read or parsed.
   *
   * @default MAX_YAML_CONFIG_BYTES (1 MiB)
   * @example
   * loadYamlConfig('config.yaml', process.env, { maxBytes: 4 * 1024 * 1024 });
   */
  maxBytes?: number;
}

/** Thrown inside an alias expansion that went over {@link MAX_ALIAS_VALUES}; caught at the outermost alias. */
class AliasBudgetExceeded extends Error {}

/** Where a value came from: its YAML path (`lynx.redis.lock.default_timeout`) and line. */
interface Origin {
  yamlPath: string;
  line?: number;
}

/** Options whose values are strings even when an environment variable makes them look like numbers. */
const STRING_FIELDS = new Set([
  'password',
  'username',
  'sentinelPassword',
  'sentinelUsername',
  'masterName',
  'keyPrefix',
  'instanceId',
  'name',
  'namespace',
  'metricsPath',
  'level',
  'type',
  'mode',
  'servername',
]);
/** Options that hold live objects: code only, never a file. */
const CODE_ONLY = new Set(['client', 'store', 'onLockLost']);
/** `lynx.redis.lock.*` keys that the module keeps at its top level (the seed nests them under `lock`). */
const LIFTED_FROM_LOCK = new Set(['monitoring', 'logging']);
/** Keys of `tls:` in a file; `*_file` entries are read from disk (relative to the YAML file). */
const TLS_KEYS: Record<string, string> = {
  ca_file: 'ca',
  cert_file: 'cert',
  key_file: 'key',
  servername: 'servername',
  reject_unauthorized: 'rejectUnauthorized',
};

const camel = (key: string): string => key.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());

let yamlModule: typeof YamlModule | undefined;
function loadYamlPackage(source: string): typeof YamlModule {
  if (yamlModule) return yamlModule;
  yamlModule = loadOptionalPeer<typeof YamlModule>('yaml');
  if (yamlModule) return yamlModule;
  const problem = 'needs the "yaml" package: npm install yaml';
  throw new InvalidLockOptionsError([{ path: '(loader)', problem }], source);
}

/** Size in MiB for messages: `1 MiB`, `2.5 MiB`. */
const mib = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;

/**
 * Reads a YAML file in the seed's shape (`lynx.redis.*`, snake_case keys) and returns the module's
 * options (camelCase), validated. Strings may refer to environment variables: `${REDIS_PASSWORD}`
 * (must be set) or `${REDIS_DB:-0}` (default when unset or empty; a default may hold references
 * itself, `${REDIS_ADDR:-${REDIS_HOST}:6379}`, up to 8 deep); `$$` is a literal `$`.
 * Substitution happens after parsing, so a secret with YAML syntax in it stays a plain string. A
 * value that is exactly one reference becomes a number or boolean when it looks like one (except
 * for string options such as `password`).
 *
 * Mapping: `lynx.redis.lock.monitoring` and `lynx.redis.lock.logging` (where the seed puts them)
 * become the module's top-level `monitoring` and `logging`; `lock.retry_interval` (the seed's
 * tuning example) is another name for `lock.default_retry_interval`; `tls: { ca_file, cert_file,
 * key_file }` are read from disk relative to the YAML file. Other keys of the file (outside
 * `lynx.redis`) are left alone, so the file can hold the rest of the app's configuration.
 *
 * YAML anchors, aliases (`monitoring: *defaults`) and merge keys (`<<: *base`, `<<: [*a, *b]`; keys
 * of the mapping win, then earlier sources) work as in YAML 1.1; aliases under `lynx.redis` may
 * expand to at most 10,000 values (an alias bomb is refused). Duplicate keys anywhere in the file, a
 * `__proto__` key and files over `maxBytes` ({@link MAX_YAML_CONFIG_BYTES}, 1 MiB: refused before
 * reading) are errors.
 *
 * Every problem is reported at once as {@link InvalidLockOptionsError}; its message names the file,
 * the YAML path (and line) and what is wrong.
 *
 * @param path the YAML file
 * @param env variables for `${VAR}` substitution @default process.env
 * @param loadOptions `maxBytes` @default { maxBytes: MAX_YAML_CONFIG_BYTES }
 * @example
 * RedisLockModule.forRoot(loadYamlConfig('config/redis-lock.yaml'));
 * @example
 * // config.yaml: lynx: { redis: { addrs: ['redis:6379'], password: '${REDIS_PASSWORD}', lock: { default_timeout: 30s } } }
 * const options = loadYamlConfig('config.yaml', { REDIS_PASSWORD: 's3cret' });
 */
export function loadYamlConfig(
  path: string,
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
  loadOptions: YamlConfigLoadOptions = {},
): RedisLockModuleOptions {
  const source = `configuration file ${path}`;
  const fail = (problems: OptionProblem[]): never => {
    throw new InvalidLockOptionsError(problems, source);
  };
  const maxBytes = loadOptions.maxBytes ?? MAX_YAML_CONFIG_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    fail([{ path: 'maxBytes', problem: 'must be a whole number of bytes, at least 1' }]);
  }
  let read: ReturnType<typeof readBoundedFile>;
  try {
    read = readBoundedFile(path, maxBytes);
  } catch (error) {
    return fail([
      {
        path: '(file)',
        problem: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      },
    ]);
  }
  if ('tooLarge' in read) {
    const over = `is larger than ${mib(maxBytes)} (${maxBytes} bytes), the limit for configuration files`;
    return fail([
      { path: '(file)', problem: `${over}; refused before parsing (pass { maxBytes } to loadYamlConfig to raise it)` },
    ]);
  }
  const text = read.text;
  const yaml = loadYamlPackage(source);
  const lineCounter = new yaml.LineCounter();
  // uniqueKeys is checked below in linear time (the parser's own check is quadratic in a mapping's keys).
  const doc = yaml.parseDocument(text, { lineCounter, uniqueKeys: false, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: `(line ${pos.line}, column ${pos.col})`,
          problem: `is not valid YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    );
  }
  const index = indexYamlDocument(yaml, doc);
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  if (index.duplicates.length > 0) {
    return fail(
      index.duplicates.map((d) => ({
        path: d.path,
        problem: `is a duplicate key (first given on line ${lineAt(d.firstOffset)}) (line ${lineAt(d.offset)})`,
      })),
    );
  }

  const problems: OptionProblem[] = [];
  const origins = new Map<string, Origin>();
  const lineOf = (node: unknown): number | undefined =>
    lineAt((node as { range?: [number, number, number] } | null)?.range?.[0]);
  const at = (o: Origin) => (o.line ? ` (line ${o.line})` : '');
  const problem = (yamlPath: string, text: string, node?: unknown) =>
    problems.push({ path: yamlPath, problem: `${text}${at({ yamlPath, line: lineOf(node) })}` });

  const substitute = (value: string, origin: Origin, optionKey: string): unknown => {
    const expanded = expandReferences(value, env);
    for (const name of expanded.unset) {
      problems.push({
        path: origin.yamlPath,
        problem: `refers to environment variable ${name}, which is not set (write \${${name}:-default} to give a default)${at(origin)}`,
      });
    }
    if (expanded.tooDeep) {
      problems.push({
        path: origin.yamlPath,
        problem: `nests \${...} defaults more than ${MAX_REFERENCE_DEPTH} deep${at(origin)}`,
      });
    }
    const replaced = expanded.value;
    if (!expanded.whole || STRING_FIELDS.has(optionKey)) return replaced;
    if (/^-?\d+(\.\d+)?$/.test(replaced)) return Number(replaced);
    if (replaced === 'true' || replaced === 'false') return replaced === 'true';
    return replaced;
  };

  // Aliases: what each one refers to comes from the index; `within` holds the collections being
  // converted (an alias to one of them is a loop), `aliasValues` counts what aliases expanded to.
  const within = new Set<YamlModule.Node>();
  let aliasValues = 0;
  const deref = (node: unknown, yamlPath: string): { node: unknown; viaAlias: boolean } | undefined => {
    if (!yaml.isAlias(node)) return { node, viaAlias: false };
    const target = index.aliasTargets.get(node);
    if (!target) problem(yamlPath, `refers to the anchor &${node.source}, which is not defined before it`, node);
    else if (within.has(target))
      problem(yamlPath, `refers to the anchor &${node.source} that contains it (a loop)`, node);
    else return { node: target, viaAlias: true };
    return undefined;
  };
  /** Runs `fn`; outside any alias, an expansion that went over the budget becomes a problem at `yamlPath`. */
  const budgeted = <T>(insideAlias: boolean, yamlPath: string, node: unknown, fn: () => T): T | undefined => {
    if (insideAlias) return fn();
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof AliasBudgetExceeded)) throw error;
      problem(
        yamlPath,
        `uses aliases that expand to more than ${MAX_ALIAS_VALUES} values (an alias bomb?); write the values out`,
        node,
      );
      return undefined;
    }
  };

  /** A mapping's pairs with `<<` merges applied: its own keys first, then each merge source's new keys. */
  interface Entry {
    key: string;
    keyNode: unknown;
    value: unknown;
    merged: boolean;
  }
  const entriesOf = (map: YamlModule.YAMLMap, yamlPath: string, depth: number, viaAlias: boolean): Entry[] => {
    const own: Entry[] = [];
    const merges: YamlModule.Pair[] = [];
    for (const pair of map.items) {
      if (yaml.isScalar(pair.key) && typeof pair.key.value === 'symbol') merges.push(pair);
      else
        own.push({
          key: String(yaml.isScalar(pair.key) ? pair.key.value : pair.key),
          keyNode: pair.key,
          value: pair.value,
          merged: false,
        });
    }
    if (merges.length === 0) return own;
    const taken = new Set(own.map((e) => e.key));
    const entries = [...own];
    const mergePath = `${yamlPath}.<<`;
    for (const pair of merges) {
      const value = deref(pair.value, mergePath);
      if (!value) continue;
      const sources = yaml.isSeq(value.node) ? value.node.items : [value.node];
      for (const item of sources) {
        const source = deref(item, mergePath)?.node;
        if (source === undefined) continue;
        if (!yaml.isMap(source)) {
          problem(
            mergePath,
            'must be a map or a list of maps (a merge key takes mappings, e.g. <<: *defaults)',
            pair.key,
          );
          continue;
        }
        if (depth >= MAX_OPTION_DEPTH || within.has(source)) {
          problem(mergePath, 'merges mappings that merge each other in a loop or too deeply', pair.key);
          continue;
        }
        within.add(source);
        try {
          budgeted(viaAlias, mergePath, pair.key, () => {
            for (const entry of entriesOf(source, yamlPath, depth + 1, true)) {
              if (++aliasValues > MAX_ALIAS_VALUES) throw new AliasBudgetExceeded();
              if (taken.has(entry.key)) continue;
              taken.add(entry.key);
              entries.push({ ...entry, merged: true });
            }
          });
        } finally {
          within.delete(source);
        }
      }
    }
    return entries;
  };

  // Turns a YAML node into plain options, snake_case → camelCase, recording each option's origin.
  const convert = (
    node: unknown,
    yamlPath: string,
    optionPath: string,
    optionKey: string,
    depth = 0,
    viaAlias = false,
  ): unknown => {
    if (viaAlias && ++aliasValues > MAX_ALIAS_VALUES) throw new AliasBudgetExceeded();
    if (yaml.isAlias(node)) {
      const target = deref(node, yamlPath);
      if (!target) return undefined;
      const value = budgeted(viaAlias, yamlPath, node, () =>
        convertWithin(target.node, yamlPath, optionPath, optionKey, depth, true),
      );
      origins.set(optionPath, { yamlPath, line: lineOf(node) });
      return value;
    }
    return convertWithin(node, yamlPath, optionPath, optionKey, depth, viaAlias);
  };
  const convertWithin = (
    node: unknown,
    yamlPath: string,
    optionPath: string,
    optionKey: string,
    depth: number,
    viaAlias: boolean,
  ): unknown => {
    const origin = { yamlPath, line: lineOf(node) };
    origins.set(optionPath, origin);
    if (!yaml.isCollection(node)) {
      if (yaml.isScalar(node))
        return typeof node.value === 'string' ? substitute(node.value, origin, optionKey) : node.value;
      return node === null || node === undefined ? undefined : (node as { toJSON?: () => unknown }).toJSON?.();
    }
    if (depth >= MAX_OPTION_DEPTH) {
      problem(yamlPath, `nests mappings and lists more than ${MAX_OPTION_DEPTH} deep`, node);
      return undefined;
    }
    within.add(node);
    try {
      if (yaml.isSeq(node)) {
        return node.items.map((item, i) =>
          convert(item, `${yamlPath}[${i}]`, `${optionPath}[${i}]`, optionKey, depth + 1, viaAlias),
        );
      }
      const map = node as YamlModule.YAMLMap;
      if (optionKey === 'tls') return convertTls(map, yamlPath, optionPath, depth, viaAlias);
      const entries = entriesOf(map, yamlPath, depth, viaAlias);
      const out: Record<string, unknown> = {};
      for (const entry of entries) {
        const childYaml = `${yamlPath}.${entry.key}`;
        let name = camel(entry.key);
        if (entry.key === '__proto__' || name === '__proto__') {
          problem(childYaml, 'is not allowed (it would replace the prototype of the options object)', entry.keyNode);
          continue;
        }
        if (CODE_ONLY.has(name)) {
          problem(
            childYaml,
            'cannot be set in a configuration file (pass it in code with forRoot/forRootAsync)',
            entry.keyNode,
          );
          continue;
        }
        if (optionPath === 'lock' && name === 'retryInterval') {
          if (entries.some((e) => e.key === 'default_retry_interval')) {
            problem(childYaml, `and ${yamlPath}.default_retry_interval are the same setting; keep one`, entry.keyNode);
            continue;
          }
          name = 'defaultRetryInterval';
        }
        const childOption = optionPath ? `${optionPath}.${name}` : name;
        out[name] = budgeted(viaAlias, childYaml, entry.keyNode, () =>
          convert(entry.value, childYaml, childOption, name, depth + 1, viaAlias || entry.merged),
        );
      }
      return out;
    } finally {
      within.delete(node);
    }
  };

  const convertTls = (
    node: YamlModule.YAMLMap,
    yamlPath: string,
    optionPath: string,
    depth: number,
    viaAlias: boolean,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const entry of entriesOf(node, yamlPath, depth, viaAlias)) {
      const childYaml = `${yamlPath}.${entry.key}`;
      const origin = { yamlPath: childYaml, line: lineOf(entry.value) };
      const target = Object.hasOwn(TLS_KEYS, entry.key) ? TLS_KEYS[entry.key] : undefined;
      if (!target) {
        problems.push({
          path: childYaml,
          problem: `is not a known TLS option (use ${Object.keys(TLS_KEYS).join(', ')})${at(origin)}`,
        });
        continue;
      }
      const key = entry.key;
      const optionKey = target === 'servername' ? 'servername' : key;
      const value = budgeted(viaAlias, childYaml, entry.keyNode, () =>
        convert(entry.value, childYaml, `${optionPath}.${target}`, optionKey, depth + 1, viaAlias || entry.merged),
      );
      if (key.endsWith('_file')) {
        if (typeof value !== 'string' || value === '') {
          problems.push({ path: childYaml, problem: `must be a file path${at(origin)}` });
          continue;
        }
        try {
          out[target] = readFileSync(resolve(dirname(path), value), 'utf8');
        } catch (error) {
          problems.push({
            path: childYaml,
            problem: `cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}${at(origin)}`,
          });
        }
      } else {
        out[target] = value;
      }
    }
    return out;
  };

  const root = deref(doc.contents, 'lynx')?.node;
  const lynx = yaml.isMap(root) ? deref(root.get('lynx', true), 'lynx')?.node : undefined;
  const redis = yaml.isMap(lynx) ? deref(lynx.get('redis', true), 'lynx.redis')?.node : undefined;
  if (!yaml.isMap(redis)) {
    return fail([
      ...problems,
      {
        path: 'lynx.redis',
        problem: `is missing or not a map: the file must have the seed's shape (lynx:\\n  redis:\\n    addrs: [...])`,
      },
    ]);
  }
  const options = convert(redis, 'lynx.redis', '', '') as Record<string, unknown>;

  // The seed nests monitoring and logging under lock; the module has them at its top level.
  const lock = options.lock as Record<string, unknown> | undefined;
  if (lock && typeof lock === 'object') {
    for (const key of LIFTED_FROM_LOCK) {
      if (!(key in lock)) continue;
      if (key in options) {
        problems.push({ path: `lynx.redis.lock.${key}`, problem: `is also given as lynx.redis.${key}; keep one` });
      } else {
        options[key] = lock[key];
        for (const [optionPath, origin] of [...origins]) {
          if (optionPath === `lock.${key}` || optionPath.startsWith(`lock.${key}.`))
            origins.set(optionPath.slice('lock.'.length), origin);
        }
      }
      delete lock[key];
    }
  }
  // Validate even when the file already has problems, so every one is listed at once.
  let validation: OptionProblem[] = [];
  try {
    resolveModuleOptions(options, source);
  } catch (error) {
    if (!(error instanceof InvalidLockOptionsError)) throw error;
    validation = error.problems.map((p) => toYamlProblem(p, origins));
  }
  const reported = new Set(problems.map((p) => p.path));
  const all = [...problems, ...validation.filter((p) => !reported.has(p.path))];
  if (all.length > 0) fail(all);
  return options as RedisLockModuleOptions;
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Rewrites a problem's option path (`lock.renewalThreshold`) as the YAML path it came from. */
function toYamlProblem(problem: OptionProblem, origins: Map<string, Origin>): OptionProblem {
  // The closest recorded ancestor gives the YAML spelling; the rest is converted back to snake_case.
  const parts = problem.path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const origin = origins.get(parts.slice(0, n).join('.'));
    if (!origin) continue;
    const rest = parts.slice(n).map(snake);
    const recorded = rest.length === 0;
    const yamlPath = [origin.yamlPath, ...rest].join('.');
    return { path: yamlPath, problem: `${problem.problem}${recorded && origin.line ? ` (line ${origin.line})` : ''}` };
  }
  return { path: `lynx.redis.${parts.map(snake).join('.')}`, problem: problem.problem };
}
