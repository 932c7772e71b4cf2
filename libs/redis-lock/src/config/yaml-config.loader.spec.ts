import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError } from '../errors/index.js';
import { resolveModuleOptions } from './validate-options.js';
import { loadYamlConfig } from './yaml-config.loader.js';

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
      lock: { defaultTimeout: '30s', defaultRetryInterval: '100ms', maxRetries: 3, renewalEnabled: true, renewalThreshold: 0.5, renewalInterval: '10s' },
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
        retryStrategy: { type: 'exponential_backoff', initialInterval: '100ms', maxInterval: '5s', multiplier: 2, maxElapsedTime: '30s' },
      },
      monitoring: { enableMetrics: true, metricsPath: '/metrics', healthCheckInterval: '30s' },
    });
    const config = resolveModuleOptions(options);
    expect(config.connection.mode).toBe('cluster'); // three addrs, no mode: a Cluster
    expect(config.enableMetrics).toBe(true);
    expect(config.healthCheckIntervalMs).toBe(30_000);
    expect(config.retry).toMatchObject({ type: 'exponential_backoff', initialMs: 100, maxMs: 5000, multiplier: 2, maxElapsedMs: 30_000, maxRetries: 5 });
    expect(config.poolConfigured).toBe(true);
  });

  it("the tuning and debug snippets load too (lock.retry_interval is lock.default_retry_interval; lock.logging is logging)", () => {
    const tuning = loadYamlConfig(join(fixtures, 'seed-performance-tuning-lock.yaml'), {});
    expect(tuning.lock).toMatchObject({ defaultTimeout: '10s', defaultRetryInterval: '50ms', renewalThreshold: 0.3 });
    expect(resolveModuleOptions(tuning).retry.initialMs).toBe(50);
    expect(loadYamlConfig(join(fixtures, 'seed-performance-tuning-redis.yaml'), {}).pool).toEqual({ maxActive: 200, maxIdle: 50, idleTimeout: '300s' });
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
    expect(error.problems).toEqual([{ path: 'lynx.redis.password', problem: expect.stringMatching(/environment variable REDIS_PASSWORD, which is not set.*\(line 7\)/) }]);
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
      ['lynx.redis.databse', 'lynx.redis.lock.default_timout', 'lynx.redis.lock.monitoring.health_check_interval', 'lynx.redis.lock.renewal_threshold', 'lynx.redis.lock.retry_strategy.type'].sort(),
    );
    expect(byPath['lynx.redis.databse']).toMatch(/not a known option.*\(line 4\)/);
    expect(byPath['lynx.redis.lock.renewal_threshold']).toMatch(/0\.95.*\(line 7\)/);
    expect(byPath['lynx.redis.lock.monitoring.health_check_interval']).toMatch(/duration.*\(line 9\)/);
  });

  it('topology conflicts are reported at their YAML path', () => {
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    mode: single\n    addrs: [a:1, b:1]\n    master_name: x\n'), {}));
    expect(error.problems.map((p) => p.path).sort()).toEqual(['lynx.redis.addrs', 'lynx.redis.master_name']);
  });

  it('invalid YAML gives the line and column', () => {
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    addrs: [a:1\n    db: 0\n'), {}));
    expect(error.problems[0].path).toMatch(/^\(line \d+, column \d+\)$/);
    expect(error.problems[0].problem).toMatch(/not valid YAML/);
  });

  it('duplicate keys are an error', () => {
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    db: 0\n    db: 1\n'), {}));
    expect(error.problems[0].problem).toMatch(/not valid YAML.*unique/i);
  });

  it('a file without lynx.redis, a missing file, and code-only options', () => {
    expect(errorOf(() => loadYamlConfig(file('redis:\n  addrs: [a:1]\n'), {})).problems[0]).toMatchObject({ path: 'lynx.redis' });
    const missing = errorOf(() => loadYamlConfig(join(dir, 'nope.yaml'), {}));
    expect(missing.problems[0]).toEqual({ path: '(file)', problem: 'cannot be read: ENOENT' });
    expect(missing.message).toContain('nope.yaml');
    const code = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    client: {}\n'), {}));
    expect(code.problems[0]).toMatchObject({ path: 'lynx.redis.client', problem: expect.stringMatching(/cannot be set in a configuration file/) });
  });

  it('monitoring given both under lock and at the top level is a conflict; retry_interval and default_retry_interval too', () => {
    const both = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    monitoring: {enable_metrics: true}\n    lock:\n      monitoring: {enable_metrics: false}\n'), {}));
    expect(both.problems[0].path).toBe('lynx.redis.lock.monitoring');
    const alias = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    lock:\n      retry_interval: 1s\n      default_retry_interval: 2s\n'), {}));
    expect(alias.problems[0].path).toBe('lynx.redis.lock.retry_interval');
  });

  it('reads tls.ca_file relative to the YAML file and reports an unreadable one', () => {
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const options = loadYamlConfig(file('lynx:\n  redis:\n    addrs: ["rediss://h:6380"]\n    tls:\n      ca_file: ca.pem\n      servername: h\n'), {});
    expect(options.tls).toEqual({ ca: expect.stringContaining('BEGIN CERTIFICATE'), servername: 'h' });
    const error = errorOf(() => loadYamlConfig(file('lynx:\n  redis:\n    tls:\n      ca_file: missing.pem\n      verify: yes\n'), {}));
    expect(error.problems.map((p) => p.path).sort()).toEqual(['lynx.redis.tls.ca_file', 'lynx.redis.tls.verify']);
  });
});
