import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError } from '../errors/index.js';
import { resolveModuleOptions } from './validate-options.js';
import { MAX_YAML_CONFIG_BYTES, loadYamlConfig } from './yaml-config.loader.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lynx-lock-yaml-'));
let n = 0;
const file = (text: string): string => {
  const path = join(dir, `config-${++n}.yaml`);
  writeFileSync(path, text);
  return path;
};
const errorOf = (fn: () => unknown): InvalidLockOptionsError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    return error as InvalidLockOptionsError;
  }
  throw new Error('expected InvalidLockOptionsError');
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadYamlConfig: the seed examples load unchanged', () => {
  it('basic configuration', () => {
    const options = loadYamlConfig(join(fixtures, 'seed-basic.yaml'), {});
    expect(options).toEqual({
      addrs: ['localhost:6379'],
      password: '',
      db: 0,
      lock: {
        defaultTimeout: '30s',
        defaultRetryInterval: '100ms',
        maxRetries: 3,
        renewalEnabled: true,
        renewalThreshold: 0.5,
        renewalInterval: '10s',
      },
    });
    const config = resolveModuleOptions(options);
    expect(config.connection).toMatchObject({ mode: 'single', addrs: ['localhost:6379'], db: 0 });
    expect(config.connection.password).toBeUndefined();
    expect(config.defaultTtlMs).toBe(30_000);
    expect(config.renewal).toEqual({ enabled: true, threshold: 0.5, intervalMs: 10_000 });
  });

  it('advanced configuration: pool, retry strategy, and monitoring lifted from lock.* to the top level', () => {
    const options = loadYamlConfig(join(fixtures, 'seed-advanced.yaml'), {});
    expect(options).toEqual({
      addrs: ['redis1:6379', 'redis2:6379', 'redis3:6379'],
      password: 'your-redis-password',
      db: 0,
      pool: { maxActive: 100, maxIdle: 10, idleTimeout: '300s', maxConnLifetime: '3600s' },
      lock: {
        defaultTimeout: '60s',
        defaultRetryInterval: '200ms',
        maxRetries: 5,
        renewalEnabled: true,
        renewalThreshold: 0.3,
        renewalInterval: '5s',
        retryStrategy: {
          type: 'exponential_backoff',
          initialInterval: '100ms',
          maxInterval: '5s',
          multiplier: 2,
          maxElapsedTime: '30s',
        },
      },
      monitoring: { enableMetrics: true, metricsPath: '/metrics', healthCheckInterval: '30s' },
    });
    const config = resolveModuleOptions(options);
    expect(config.connection.mode).toBe('cluster'); // three addrs, no mode: a Cluster
    expect(config.enableMetrics).toBe(true);
    expect(config.healthCheckIntervalMs).toBe(30_000);
    expect(config.retry).toMatchObject({
      type: 'exponential_backoff',
      initialMs: 100,
      maxMs: 5000,
      multiplier: 2,
      maxElapsedMs: 30_000,
      maxRetries: 5,
    });
    expect(config.poolConfigured).toBe(true);
  });

  it('the tuning and debug snippets load too (lock.retry_interval is lock.default_retry_interval; lock.logging is logging)', () => {
    const tuning = loadYamlConfig(join(fixtures, 'seed-performance-tuning-lock.yaml'), {});
    expect(tuning.lock).toMatchObject({ defaultTimeout: '10s', defaultRetryInterval: '50ms', renewalThreshold: 0.3 });
    expect(resolveModuleOptions(tuning).retry.initialMs).toBe(50);
    expect(loadYamlConfig(join(fixtures, 'seed-performance-tuning-redis.yaml'), {}).pool).toEqual({
      maxActive: 200,
      maxIdle: 50,
      idleTimeout: '300s',
    });
    const debug = loadYamlConfig(join(fixtures, 'seed-debug-mode.yaml'), {});
    expect(debug).toEqual({ lock: {}, logging: { level: 'DEBUG', enableMetrics: true } });
    expect(resolveModuleOptions(debug).logLevel).toBe('debug');
  });
});

describe('loadYamlConfig: environment substitution', () => {
  const text = `
lynx:
  redis:
    mode: sentinel
    sentinels: ["\${SENTINEL_1}", "\${SENTINEL_2:-127.0.0.1:26380}"]
    master_name: \${MASTER:-mymaster}
    password: \${REDIS_PASSWORD}
    sentinel_password: "\${SENTINEL_PASSWORD:-}"
    db: \${REDIS_DB:-3}
    key_prefix: "app$$1:\${PREFIX:-lock}:"
    wait:
      replicas: \${WAIT_REPLICAS:-1}
      timeout: 100ms
    lock:
      renewal_enabled: \${RENEW:-false}
`;
  it('replaces ${VAR} and ${VAR:-default} after parsing, typing whole-value numbers and booleans', () => {
    const options = loadYamlConfig(file(text), { SENTINEL_1: '10.0.0.1:26379', REDIS_PASSWORD: '123456' });
    expect(options).toMatchObject({
      mode: 'sentinel',
      sentinels: ['10.0.0.1:26379', '127.0.0.1:26380'],
      masterName: 'mymaster',
      password: '123456', // a string option stays a string
      sentinelPassword: '',
      db: 3,
      keyPrefix: 'app$1:lock:',
      wait: { replicas: 1, timeout: '100ms' },
      lock: { renewalEnabled: false },
    });
  });

  it('keeps YAML syntax inside a secret as plain text', () => {
    const options = loadYamlConfig(file('lynx:\n  redis:\n    password: ${P}\n'), { P: '{a: 1}, # not yaml' });
    expect(options.password).toBe('{a: 1}, # not yaml');
  });

  it('names the file, the YAML path and the variable when one is not set', () => {
    const path = file(text);
    const error = errorOf(() => loadYamlConfig(path, { SENTINEL_1: 'x:1' }));
    expect(error.message).toContain(path);
    expect(error.problems).toEqual([
      {
        path: 'lynx.redis.password',
        problem: expect.stringMatching(/environment variable REDIS_PASSWORD, which is not set.*\(line 7\)/),
      },
    ]);
    // Other problems of the same file are listed in the same error.
    const both = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    password: ${NOPE}\n    db: 99\n'), {}));
    expect(both.problems.map((p) => p.path)).toEqual(['lynx.redis.password', 'lynx.redis.db']);
    expect(error.message).toMatch(/lynx\.redis\.password refers to environment variable REDIS_PASSWORD/);
  });
});

describe('loadYamlConfig: a broken file gives file, YAML path and reason', () => {
  it('unknown keys, bad values and conflicts, all at once, with their YAML paths and lines', () => {
    const path = file(`lynx:
  redis:
    addrs: ["127.0.0.1:6379"]
    databse: 1
    lock:
      default_timout: 30s
      renewal_threshold: 2
      monitoring:
        health_check_interval: soon
      retry_strategy:
        type: zigzag
`);
    const error = errorOf(() => loadYamlConfig(path, {}));
    expect(error.message).toContain(`configuration file ${path}`);
    const byPath = Object.fromEntries(error.problems.map((p) => [p.path, p.problem]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'lynx.redis.databse',
        'lynx.redis.lock.default_timout',
        'lynx.redis.lock.monitoring.health_check_interval',
        'lynx.redis.lock.renewal_threshold',
        'lynx.redis.lock.retry_strategy.type',
      ].sort(),
    );
    expect(byPath['lynx.redis.databse']).toMatch(/not a known option.*\(line 4\)/);
    expect(byPath['lynx.redis.lock.renewal_threshold']).toMatch(/0\.95.*\(line 7\)/);
    expect(byPath['lynx.redis.lock.monitoring.health_check_interval']).toMatch(/duration.*\(line 9\)/);
  });

  it('topology conflicts are reported at their YAML path', () => {
    const error = errorOf(() =>
      loadYamlConfig(file('lynx:\n  redis:\n    mode: single\n    addrs: [a:1, b:1]\n    master_name: x\n'), {}),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(['lynx.redis.addrs', 'lynx.redis.master_name']);
  });

  it('invalid YAML gives the line and column', () => {
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    addrs: [a:1\n    db: 0\n'), {}));
    expect(error.problems[0].path).toMatch(/^\(line \d+, column \d+\)$/);
    expect(error.problems[0].problem).toMatch(/not valid YAML/);
  });

  it('duplicate keys are an error, named by their YAML path, anywhere in the file', () => {
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    db: 0\n    db: 1\n'), {}));
    expect(error.problems).toEqual([
      { path: 'lynx.redis.db', problem: 'is a duplicate key (first given on line 3) (line 4)' },
    ]);
    const elsewhere = errorOf(() =>
      loadYamlConfig(file('app:\n  list:\n    - {a: 1, a: 2}\nlynx:\n  redis: {}\n'), {}),
    );
    expect(elsewhere.problems).toEqual([
      { path: 'app.list[0].a', problem: 'is a duplicate key (first given on line 3) (line 3)' },
    ]);
  });

  it('a file without lynx.redis, a missing file, and code-only options', () => {
    expect(errorOf(() => loadYamlConfig(file('redis:\n  addrs: [a:1]\n'), {})).problems[0]).toMatchObject({
      path: 'lynx.redis',
    });
    const missing = errorOf(() => loadYamlConfig(join(dir, 'nope.yaml'), {}));
    expect(missing.problems[0]).toEqual({ path: '(file)', problem: 'cannot be read: ENOENT' });
    expect(missing.message).toContain('nope.yaml');
    const code = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    client: {}\n'), {}));
    expect(code.problems[0]).toMatchObject({
      path: 'lynx.redis.client',
      problem: expect.stringMatching(/cannot be set in a configuration file/),
    });
  });

  it('monitoring given both under lock and at the top level is a conflict; retry_interval and default_retry_interval too', () => {
    const both = errorOf(() =>
      loadYamlConfig(
        file(
          'lynx:\n  redis:\n    monitoring: {enable_metrics: true}\n    lock:\n      monitoring: {enable_metrics: false}\n',
        ),
        {},
      ),
    );
    expect(both.problems[0].path).toBe('lynx.redis.lock.monitoring');
    const alias = errorOf(() =>
      loadYamlConfig(
        file('lynx:\n  redis:\n    lock:\n      retry_interval: 1s\n      default_retry_interval: 2s\n'),
        {},
      ),
    );
    expect(alias.problems[0].path).toBe('lynx.redis.lock.retry_interval');
  });

  it('reads tls.ca_file relative to the YAML file and reports an unreadable one', () => {
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const options = loadYamlConfig(
      file('lynx:\n  redis:\n    addrs: ["rediss://h:6380"]\n    tls:\n      ca_file: ca.pem\n      servername: h\n'),
      {},
    );
    expect(options.tls).toEqual({ ca: expect.stringContaining('BEGIN CERTIFICATE'), servername: 'h' });
    const error = errorOf(() =>
      loadYamlConfig(file('lynx:\n  redis:\n    tls:\n      ca_file: missing.pem\n      verify: yes\n'), {}),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(['lynx.redis.tls.ca_file', 'lynx.redis.tls.verify']);
  });
});

/** CPU time of `fn` in ms: unlike wall time, other processes on a busy machine do not inflate it. */
const cpuMs = (fn: () => unknown): number => {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

describe('loadYamlConfig: large and hostile files', () => {
  it('loads 40,000 mapping keys in linear time (well under a second) and still finds a duplicate among them', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  key${i}: ${i}\n`).join('');
    const path = file(`app:\n${keys}lynx:\n  redis:\n    addrs: ["127.0.0.1:6379"]\n`);
    let options: unknown;
    // The bound is generous (the load takes ~0.4 s on an idle core); the quadratic check took 7-8 s.
    expect(cpuMs(() => (options = loadYamlConfig(path, {})))).toBeLessThan(1500);
    expect(options).toEqual({ addrs: ['127.0.0.1:6379'] });
    const duplicated = file(`app:\n${keys}  key17: again\nlynx:\n  redis: {}\n`);
    let error: InvalidLockOptionsError | undefined;
    expect(cpuMs(() => (error = errorOf(() => loadYamlConfig(duplicated, {}))))).toBeLessThan(1500);
    expect(error!.problems).toEqual([
      { path: 'app.key17', problem: 'is a duplicate key (first given on line 19) (line 40002)' },
    ]);
  });

  it(`refuses a file over MAX_YAML_CONFIG_BYTES (1 MiB) before reading it whole or parsing it`, () => {
    expect(MAX_YAML_CONFIG_BYTES).toBe(1024 * 1024);
    const over = file(`lynx:\n  redis: {}\n#${'x'.repeat(MAX_YAML_CONFIG_BYTES)}\n`);
    expect(errorOf(() => loadYamlConfig(over, {})).problems).toEqual([
      {
        path: '(file)',
        problem: expect.stringMatching(/^is larger than 1 MiB \(1048576 bytes\), the limit for configuration files/),
      },
    ]);
    // A 4 GiB file (sparse, so it costs no disk) is refused as fast: its size is checked, not its text.
    const huge = join(dir, 'huge.yaml');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, 4 * 1024 ** 3);
    closeSync(fd);
    let refused: InvalidLockOptionsError | undefined;
    expect(cpuMs(() => (refused = errorOf(() => loadYamlConfig(huge, {}))))).toBeLessThan(200);
    expect(refused!.problems[0]).toMatchObject({ path: '(file)', problem: expect.stringMatching(/larger than 1 MiB/) });
    rmSync(huge);
    // A file whose size is unknown up front (a device or pipe) is read only up to the limit.
    expect(errorOf(() => loadYamlConfig('/dev/zero', {})).problems[0]).toMatchObject({
      path: '(file)',
      problem: expect.stringMatching(/larger than 1 MiB/),
    });
    // The limit is an option.
    expect(loadYamlConfig(over, {}, { maxBytes: 2 * MAX_YAML_CONFIG_BYTES })).toEqual({});
    expect(errorOf(() => loadYamlConfig(file('lynx:\n  redis: {}\n'), {}, { maxBytes: 10 })).problems[0].path).toBe(
      '(file)',
    );
    expect(errorOf(() => loadYamlConfig(over, {}, { maxBytes: -1 })).problems[0].path).toBe('maxBytes');
  });
});

describe('loadYamlConfig: anchors, aliases, merge keys and nested defaults', () => {
  it('resolves aliases and << merge keys (explicit keys win, earlier merge sources win)', () => {
    const options = loadYamlConfig(
      file(`defaults:
  metrics: &metrics
    enable_metrics: true
    health_check_interval: 10s
  lock: &lock
    default_timeout: 20s
    max_retries: 2
  tuning: &tuning
    max_retries: 9
    renewal_threshold: 0.3
lynx:
  redis:
    addrs: &addrs ["127.0.0.1:6379"]
    monitoring: *metrics
    lock:
      <<: [*lock, *tuning]
      default_timeout: 15s
`),
      {},
    );
    expect(options).toEqual({
      addrs: ['127.0.0.1:6379'],
      monitoring: { enableMetrics: true, healthCheckInterval: '10s' },
      lock: { defaultTimeout: '15s', maxRetries: 2, renewalThreshold: 0.3 },
    });
    expect(loadYamlConfig(file('base: &base {db: 2}\nlynx:\n  redis:\n    <<: *base\n'), {})).toEqual({ db: 2 });
  });

  it('reports a problem in a merged or aliased value at the path where it is used', () => {
    const error = errorOf(() =>
      loadYamlConfig(file('base: &base {db: 99, bogus: 1}\nlynx:\n  redis:\n    <<: *base\n'), {}),
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(['lynx.redis.bogus', 'lynx.redis.db']);
  });

  it('refuses alias bombs, self-referring anchors, unknown anchors and bad merge sources', () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      rows.push(
        `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
          .fill(`*${'abcdefghij'[i - 1]}`)
          .join(',')}]`,
      );
    const bomb = errorOf(() => loadYamlConfig(file(`${rows.join('\n')}\nlynx:\n  redis:\n    addrs: *i\n`), {}));
    expect(bomb.problems).toEqual([
      { path: 'lynx.redis.addrs', problem: expect.stringMatching(/aliases that expand to more than 10000 values/) },
    ]);
    const loop = errorOf(() => loadYamlConfig(file('lynx:\n  redis: &r\n    lock: *r\n'), {}));
    expect(loop.problems).toEqual([
      { path: 'lynx.redis.lock', problem: expect.stringMatching(/refers to the anchor &r that contains it/) },
    ]);
    const unknown = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    monitoring: *nope\n'), {}));
    expect(unknown.problems).toEqual([
      {
        path: 'lynx.redis.monitoring',
        problem: expect.stringMatching(/refers to the anchor &nope, which is not defined before it/),
      },
    ]);
    const scalar = errorOf(() => loadYamlConfig(file('x: &x 5\nlynx:\n  redis:\n    <<: *x\n'), {}));
    expect(scalar.problems).toEqual([
      { path: 'lynx.redis.<<', problem: expect.stringMatching(/must be a map or a list of maps/) },
    ]);
  });

  it('refuses __proto__ keys, also through a merge', () => {
    const direct = errorOf(() =>
      loadYamlConfig(file('lynx:\n  redis:\n    lock:\n      __proto__: {polluted: 1}\n'), {}),
    );
    expect(direct.problems).toEqual([
      { path: 'lynx.redis.lock.__proto__', problem: expect.stringMatching(/is not allowed/) },
    ]);
    const merged = errorOf(() =>
      loadYamlConfig(file('p: &p {__proto__: {polluted: 1}}\nlynx:\n  redis:\n    <<: *p\n'), {}),
    );
    expect(merged.problems).toEqual([
      { path: 'lynx.redis.__proto__', problem: expect.stringMatching(/is not allowed/) },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('resolves nested defaults ${A:-${B}} (lazily, to a bounded depth)', () => {
    const text =
      'lynx:\n  redis:\n    addrs: ["${ADDR:-${HOST:-localhost}:${PORT:-6379}}"]\n    db: ${DB:-${FALLBACK_DB}}\n';
    expect(loadYamlConfig(file(text), { FALLBACK_DB: '4' })).toEqual({ addrs: ['localhost:6379'], db: 4 });
    expect(loadYamlConfig(file(text), { HOST: 'h', DB: '1' })).toEqual({ addrs: ['h:6379'], db: 1 });
    expect(loadYamlConfig(file(text), { ADDR: 'a:1', DB: '2' })).toEqual({ addrs: ['a:1'], db: 2 });
    // The inner reference is needed here and not set: reported like any other.
    expect(errorOf(() => loadYamlConfig(file(text), {})).problems).toEqual([
      { path: 'lynx.redis.db', problem: expect.stringMatching(/FALLBACK_DB, which is not set/) },
    ]);
    // A value that came from the environment is never expanded again.
    expect(loadYamlConfig(file('lynx:\n  redis:\n    password: ${P:-${Q}}\n'), { P: '${Q}$$' }).password).toBe(
      '${Q}$$',
    );
    const deep = `lynx:\n  redis:\n    key_prefix: "${'${A:-'.repeat(20)}x${'}'.repeat(20)}"\n`;
    expect(errorOf(() => loadYamlConfig(file(deep), {})).problems).toEqual([
      { path: 'lynx.redis.key_prefix', problem: expect.stringMatching(/nests \$\{\.\.\.\} defaults more than 8 deep/) },
    ]);
  });
});
