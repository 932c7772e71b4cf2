import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as YamlModule from 'yaml';
import { InvalidLockOptionsError, type OptionProblem } from '../errors/index.js';
import { loadOptionalPeer } from '../runtime/optional-peer.loader.js';
import type { RedisLockModuleOptions } from './redis-lock-options.js';
import { resolveModuleOptions } from './validate-options.js';

/** Where a value came from: its YAML path (`lynx.redis.lock.default_timeout`) and line. */
interface Origin {
  yamlPath: string;
  line?: number;
}

/** Options whose values are strings even when an environment variable makes them look like numbers. */
const STRING_FIELDS = new Set(['password', 'username', 'sentinelPassword', 'sentinelUsername', 'masterName', 'keyPrefix', 'instanceId', 'name', 'namespace', 'metricsPath', 'level', 'type', 'mode', 'servername']);
/** Options that hold live objects: code only, never a file. */
const CODE_ONLY = new Set(['client', 'store', 'onLockLost']);
/** `lynx.redis.lock.*` keys that the module keeps at its top level (the seed nests them under `lock`). */
const LIFTED_FROM_LOCK = new Set(['monitoring', 'logging']);
/** Keys of `tls:` in a file; `*_file` entries are read from disk (relative to the YAML file). */
const TLS_KEYS: Record<string, string> = { ca_file: 'ca', cert_file: 'cert', key_file: 'key', servername: 'servername', reject_unauthorized: 'rejectUnauthorized' };

const camel = (key: string): string => key.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

let yamlModule: typeof YamlModule | undefined;
function loadYamlPackage(source: string): typeof YamlModule {
  if (yamlModule) return yamlModule;
  yamlModule = loadOptionalPeer<typeof YamlModule>('yaml');
  if (yamlModule) return yamlModule;
  throw new InvalidLockOptionsError([{ path: '(loader)', problem: 'needs the "yaml" package: npm install yaml' }], source);
}

/**
 * Reads a YAML file in the seed's shape (`lynx.redis.*`, snake_case keys) and returns the module's
 * options (camelCase), validated. Strings may refer to environment variables: `${REDIS_PASSWORD}`
 * (must be set) or `${REDIS_DB:-0}` (default when unset or empty); `$$` is a literal `$`.
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
 * Every problem is reported at once as {@link InvalidLockOptionsError}; its message names the file,
 * the YAML path (and line) and what is wrong.
 *
 * @param path the YAML file
 * @param env variables for `${VAR}` substitution @default process.env
 * @example
 * RedisLockModule.forRoot(loadYamlConfig('config/redis-lock.yaml'));
 * @example
 * // config.yaml: lynx: { redis: { addrs: ['redis:6379'], password: '${REDIS_PASSWORD}', lock: { default_timeout: 30s } } }
 * const options = loadYamlConfig('config.yaml', { REDIS_PASSWORD: 's3cret' });
 */
export function loadYamlConfig(path: string, env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): RedisLockModuleOptions {
  const source = `configuration file ${path}`;
  const fail = (problems: OptionProblem[]): never => {
    throw new InvalidLockOptionsError(problems, source);
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail([{ path: '(file)', problem: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  const yaml = loadYamlPackage(source);
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: `(line ${pos.line}, column ${pos.col})`, problem: `is not valid YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }

  const problems: OptionProblem[] = [];
  const origins = new Map<string, Origin>();
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const at = (o: Origin) => (o.line ? ` (line ${o.line})` : '');

  const substitute = (value: string, origin: Origin, optionKey: string): unknown => {
    let whole = false;
    const replaced = value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined, offset: number) => {
      if (match === '$$') return '$';
      whole = offset === 0 && match.length === value.length;
      const set = env[name!];
      if (set !== undefined && set !== '') return set;
      if (fallback !== undefined) return fallback;
      if (set === '') return '';
      problems.push({ path: origin.yamlPath, problem: `refers to environment variable ${name}, which is not set (write \${${name}:-default} to give a default)${at(origin)}` });
      return '';
    });
    if (!whole || STRING_FIELDS.has(optionKey)) return replaced;
    if (/^-?\d+(\.\d+)?$/.test(replaced)) return Number(replaced);
    if (replaced === 'true' || replaced === 'false') return replaced === 'true';
    return replaced;
  };

  // Turns a YAML node into plain options, snake_case → camelCase, recording each option's origin.
  const convert = (node: unknown, yamlPath: string, optionPath: string, optionKey: string): unknown => {
    const origin = { yamlPath, line: lineOf(node) };
    origins.set(optionPath, origin);
    if (yaml.isMap(node)) {
      if (optionKey === 'tls') return convertTls(node, yamlPath, optionPath);
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = String(yaml.isScalar(pair.key) ? pair.key.value : pair.key);
        const childYaml = `${yamlPath}.${key}`;
        let name = camel(key);
        if (CODE_ONLY.has(name)) {
          problems.push({ path: childYaml, problem: `cannot be set in a configuration file (pass it in code with forRoot/forRootAsync)${at({ yamlPath: childYaml, line: lineOf(pair.key) })}` });
          continue;
        }
        if (optionPath === 'lock' && name === 'retryInterval') {
          if (node.items.some((p) => yaml.isScalar(p.key) && p.key.value === 'default_retry_interval')) {
            problems.push({ path: childYaml, problem: `and ${yamlPath}.default_retry_interval are the same setting; keep one${at({ yamlPath: childYaml, line: lineOf(pair.key) })}` });
            continue;
          }
          name = 'defaultRetryInterval';
        }
        out[name] = convert(pair.value, childYaml, optionPath ? `${optionPath}.${name}` : name, name);
      }
      return out;
    }
    if (yaml.isSeq(node)) {
      return node.items.map((item, i) => convert(item, `${yamlPath}[${i}]`, `${optionPath}[${i}]`, optionKey));
    }
    if (yaml.isScalar(node)) {
      return typeof node.value === 'string' ? substitute(node.value, origin, optionKey) : node.value;
    }
    return node === null || node === undefined ? undefined : (node as { toJSON?: () => unknown }).toJSON?.();
  };

  const convertTls = (node: YamlModule.YAMLMap, yamlPath: string, optionPath: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = String(yaml.isScalar(pair.key) ? pair.key.value : pair.key);
      const childYaml = `${yamlPath}.${key}`;
      const origin = { yamlPath: childYaml, line: lineOf(pair.value) };
      const target = TLS_KEYS[key];
      if (!target) {
        problems.push({ path: childYaml, problem: `is not a known TLS option (use ${Object.keys(TLS_KEYS).join(', ')})${at(origin)}` });
        continue;
      }
      const value = convert(pair.value, childYaml, `${optionPath}.${target}`, target === 'servername' ? 'servername' : key);
      if (key.endsWith('_file')) {
        if (typeof value !== 'string' || value === '') {
          problems.push({ path: childYaml, problem: `must be a file path${at(origin)}` });
          continue;
        }
        try {
          out[target] = readFileSync(resolve(dirname(path), value), 'utf8');
        } catch (error) {
          problems.push({ path: childYaml, problem: `cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}${at(origin)}` });
        }
      } else {
        out[target] = value;
      }
    }
    return out;
  };

  const lynx = yaml.isMap(doc.contents) ? doc.contents.get('lynx', true) : undefined;
  const redis = yaml.isMap(lynx) ? lynx.get('redis', true) : undefined;
  if (!yaml.isMap(redis)) {
    return fail([{ path: 'lynx.redis', problem: `is missing or not a map: the file must have the seed's shape (lynx:\\n  redis:\\n    addrs: [...])` }]);
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
          if (optionPath === `lock.${key}` || optionPath.startsWith(`lock.${key}.`)) origins.set(optionPath.slice('lock.'.length), origin);
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
