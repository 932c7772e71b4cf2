import { describe, expect, it } from 'vitest';
import { InvalidLockOptionsError } from '../errors/index.js';
import { resolveModuleOptions } from './validate-options.js';

const problemsOf = (input: unknown): string[] => {
  try {
    resolveModuleOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    return (error as InvalidLockOptionsError).problems.map((p) => `${p.path} ${p.problem}`);
  }
  throw new Error('expected InvalidLockOptionsError');
};

describe('topology: mode inference and checks', () => {
  it('infers single from one address (and from the default), cluster from several, sentinel from sentinels', () => {
    expect(resolveModuleOptions({}).connection.mode).toBe('single');
    expect(resolveModuleOptions({ addrs: ['r:6379'] }).connection.mode).toBe('single');
    expect(resolveModuleOptions({ addrs: ['a:1', 'b:1', 'c:1'] }).connection).toMatchObject({
      mode: 'cluster',
      cluster: {
        retryDelayOnFailover: 200,
        maxRedirections: 16,
        slotsRefreshTimeout: 1000,
        slotsRefreshInterval: 5000,
      },
    });
    expect(resolveModuleOptions({ sentinels: ['s1:26379', 's2:26379'] }).connection).toMatchObject({
      mode: 'sentinel',
      sentinels: ['s1:26379', 's2:26379'],
      masterName: 'mymaster',
    });
  });

  it('an explicit mode wins: redlock over several addrs, sentinel taking addrs as the Sentinels', () => {
    expect(resolveModuleOptions({ mode: 'redlock', addrs: ['a:1', 'b:1', 'c:1'] }).connection).toMatchObject({
      mode: 'redlock',
      redlock: { driftFactor: 0.01 },
    });
    expect(resolveModuleOptions({ mode: 'sentinel', addrs: ['s:26379'], masterName: 'm' }).connection).toMatchObject({
      mode: 'sentinel',
      sentinels: ['s:26379'],
      masterName: 'm',
    });
    expect(resolveModuleOptions({ mode: 'cluster', addrs: ['only:1'] }).connection.mode).toBe('cluster');
  });

  it('reports every conflict instead of ignoring a setting', () => {
    expect(problemsOf({ mode: 'single', addrs: ['a:1', 'b:1'] })).toEqual([
      expect.stringMatching(/^addrs mode 'single' takes one address, got 2/),
    ]);
    expect(problemsOf({ addrs: ['a:1'], masterName: 'x', sentinelPassword: 'p' })).toEqual([
      "masterName only applies to mode 'sentinel' (mode is 'single')",
      "sentinelPassword only applies to mode 'sentinel' (mode is 'single')",
    ]);
    expect(problemsOf({ mode: 'redlock', addrs: ['a:1', 'b:1'] })).toEqual([
      expect.stringMatching(/needs at least 3 distinct independent masters, got 2/),
    ]);
    expect(problemsOf({ addrs: ['a:1', 'b:1'], db: 2 })).toEqual([
      'db must be 0 in Redis Cluster (it has only database 0)',
    ]);
    expect(problemsOf({ redlock: { driftFactor: 0.1 } })).toEqual([
      "redlock only applies to mode 'redlock' (mode is 'single')",
    ]);
    expect(problemsOf({ cluster: { maxRedirections: 3 } })).toEqual([
      "cluster only applies to mode 'cluster' (mode is 'single')",
    ]);
    expect(problemsOf({ mode: 'sentinel' })).toEqual([
      expect.stringMatching(/^sentinels must list at least one Sentinel/),
    ]);
    expect(problemsOf({ mode: 'ring' })[0]).toMatch(/^mode /);
    expect(problemsOf({ addrs: ['a:1', 'not an address'] })).toEqual([
      expect.stringMatching(/^addrs\[1\] cannot parse address/),
    ]);
    expect(problemsOf({ mode: 'redlock', addrs: ['a:1', 'b:1', 'c:1'], client: { evalsha() {} } })).toEqual([
      expect.stringMatching(/^mode 'redlock' creates one client per address/),
    ]);
  });

  it('wait: defaults, bounds, and off with 0 replicas', () => {
    expect(resolveModuleOptions({ wait: {} }).connection.wait).toEqual({ replicas: 1, timeoutMs: 200 });
    expect(resolveModuleOptions({ wait: { replicas: 2, timeout: '50ms' } }).connection.wait).toEqual({
      replicas: 2,
      timeoutMs: 50,
    });
    expect(problemsOf({ wait: { replicas: -1 } })[0]).toMatch(/^wait\.replicas/);
    expect(problemsOf({ wait: { timeout: '5s' } })).toEqual([
      expect.stringMatching(/^wait\.timeout must be below lock\.commandTimeout \(2000 ms\)/),
    ]);
  });
});
