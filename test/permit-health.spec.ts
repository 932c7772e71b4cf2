import { describe, expect, it } from 'vitest';
import { HEALTH_PROBE_KEY, runLockHealthCheck } from '../libs/redis-lock/src/lock/lock-health.check.js';
import { withFakePermits, withoutPermits } from './support/fake-permit-store.js';

// The health check's probe of the permit scripts (read-write locks and semaphores), on a store whose
// permit calls the test can break or stall.

const deps = {
  instanceId: 'api-1',
  renewalLagMs: () => 0,
  activeLocks: () => 0,
  errorRate: () => ({ operations: 0, errors: 0, rate: 0 }),
  timeoutMs: 2000,
};

describe('runLockHealthCheck with a store that has read-write locks and semaphores', () => {
  it('takes and releases one read of the reserved probe name through the permit path', async () => {
    const store = withFakePermits();
    const report = await runLockHealthCheck({ ...deps, store });
    expect(report).toMatchObject({ status: 'up', probe: 'ok', permitProbe: 'ok' });
    expect(store.calls).toEqual([`acquire rw ${HEALTH_PROBE_KEY}`, `release rw ${HEALTH_PROBE_KEY}`]);
    expect((await store.inspectPermits(HEALTH_PROBE_KEY, 'rw')).holders).toEqual([]); // nothing left behind
  });

  it('is down when the permit path fails (a missing script), the mutex probe still reported ok, secrets scrubbed', async () => {
    const store = withFakePermits();
    store.failPermits = new Error('NOSCRIPT No matching script (auth s3cret)');
    const report = await runLockHealthCheck({ ...deps, store, secrets: ['s3cret'] });
    expect(report).toMatchObject({ status: 'down', probe: 'ok', permitProbe: 'failed' });
    expect(report.reason).toMatch(/^read-write lock and semaphore probe failed: NOSCRIPT No matching script/);
    expect(report.reason).not.toContain('s3cret');
  });

  it('keeps its time budget when the permit path hangs', async () => {
    const store = withFakePermits();
    store.permitDelayMs = 1500;
    const report = await runLockHealthCheck({ ...deps, store, timeoutMs: 100 });
    expect(report).toMatchObject({ status: 'down', probe: 'ok', permitProbe: 'failed' });
    expect(report.reason).toBe('health check did not complete within 100 ms');
  });

  it('a store without permits (Redlock) gets no permit probe', async () => {
    const report = await runLockHealthCheck({
      ...deps,
      store: withoutPermits(),
    });
    expect(report).toMatchObject({ status: 'up', probe: 'ok' });
    expect(report.permitProbe).toBeUndefined();
  });

  it('a failure before the probes marks both failed', async () => {
    const store = Object.assign(withFakePermits(), {
      ping: async () => {
        throw new Error('ping failed');
      },
    });
    const report = await runLockHealthCheck({ ...deps, store });
    expect(report).toMatchObject({ status: 'down', probe: 'failed', permitProbe: 'failed', reason: 'ping failed' });
    expect(store.calls).toEqual([]);
  });
});
