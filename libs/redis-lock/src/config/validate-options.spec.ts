import { describe, expect, it } from 'vitest';
import { InvalidLockOptionsError } from '../errors/index.js';
import { resolveModuleOptions } from './validate-options.js';

describe('resolveModuleOptions', () => {
  it("fills in the seed's defaults", () => {
    const c = resolveModuleOptions({});
    expect(c.defaultTtlMs).toBe(30_000);
    expect(c.retry).toMatchObject({
      initialMs: 100,
      maxRetries: 3,
      type: 'exponential_backoff',
      maxMs: 5000,
      multiplier: 2,
      maxElapsedMs: 30_000,
    });
    expect(c.renewal).toEqual({ enabled: true, threshold: 0.5, intervalMs: 10_000 });
    expect(c.keyPrefix).toBe('lynx:lock:');
    expect(c.connection.addrs).toEqual(['127.0.0.1:6379']);
    expect(c.logLevel).toBe('warn');
  });

  it('parses durations and nested retry options', () => {
    const c = resolveModuleOptions({
      lock: { defaultTimeout: '1m', defaultRetryInterval: 50, retryStrategy: { type: 'linear', maxInterval: '2s' } },
    });
    expect(c.defaultTtlMs).toBe(60_000);
    expect(c.retry).toMatchObject({ type: 'linear', initialMs: 50, maxMs: 2000 });
  });

  it('lists every bad field with its path', () => {
    const error = (() => {
      try {
        resolveModuleOptions({
          db: 99,
          addrs: 'x',
          lock: { renewalEnabled: 'yes', retryStrategy: { multiplier: 0 } },
          monitoring: { metricsPath: 'metrics' },
          client: {},
        } as never);
      } catch (e) {
        return e as InvalidLockOptionsError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    const paths = [...new Set(error!.problems.map((p) => p.path))].sort();
    expect(paths).toEqual([
      'addrs',
      'client',
      'db',
      'lock.renewalEnabled',
      'lock.retryStrategy.multiplier',
      'monitoring.metricsPath',
    ]);
  });

  it('keeps the command timeout below the TTL', () => {
    expect(() => resolveModuleOptions({ lock: { defaultTimeout: '1s', commandTimeout: '2s' } })).toThrow(
      /lock.commandTimeout/,
    );
    expect(() => resolveModuleOptions({ lock: { defaultTimeout: 2, commandTimeout: 1 } })).toThrow(
      /lock\.defaultTimeout/,
    );
    expect(() => resolveModuleOptions({ lock: { defaultTimeout: 3, commandTimeout: 1 } })).not.toThrow();
  });

  it('never copies live objects (client, store, callbacks)', () => {
    const store = { acquire() {} } as never;
    const onLockLost = () => undefined;
    const c = resolveModuleOptions({ store, onLockLost });
    expect(c.connection.store).toBe(store);
    expect(c.onLockLost).toBe(onLockLost);
  });

  it('refuses control, bidi and zero-width characters in keyPrefix and instanceId (they reach log lines)', () => {
    for (const ch of ['\u0085', '\u2028', '\u202e', '\u2066', '\u200b', '\ufeff']) {
      const error = (() => {
        try {
          resolveModuleOptions({ keyPrefix: `app${ch}:`, instanceId: `api${ch}1` });
        } catch (e) {
          return e as InvalidLockOptionsError;
        }
      })();
      expect(error).toBeInstanceOf(InvalidLockOptionsError);
      expect(error!.problems.map((p) => p.path).sort()).toEqual(['instanceId', 'keyPrefix']);
    }
    expect(resolveModuleOptions({ keyPrefix: 'app:ü:', instanceId: 'api-1:東京' }).instanceId).toBe('api-1:東京');
  });
});
