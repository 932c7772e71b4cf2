import { describe, expect, it } from 'vitest';
import { MemoryLockStore } from '../store/memory-lock.store.js';
import type { StoreDiagnosis } from '../store/lock-store.js';
import { runLockHealthCheck } from './lock-health.check.js';

/** A memory store that reports `diagnosis` (and optionally fails its ping), as a Redis store would. */
function storeWith(diagnosis: StoreDiagnosis, pingError?: Error) {
  const store = new MemoryLockStore();
  const scopes: string[] = [];
  return Object.assign(store, {
    scopes,
    diagnose: async (scope: 'connection' | 'full') => {
      scopes.push(scope);
      return diagnosis;
    },
    ping: async () => {
      if (pingError) throw pingError;
      return 0.1;
    },
  });
}

const deps = {
  instanceId: 'api-1',
  renewalLagMs: () => 0,
  activeLocks: () => 0,
  errorRate: () => ({ operations: 0, errors: 0, rate: 0 }),
  timeoutMs: 2000,
};

describe('runLockHealthCheck asks the store to diagnose itself', () => {
  it('reports scripts loaded and reloaded as the store says, and is up', async () => {
    const store = storeWith({ scriptsLoaded: true, scriptsReloaded: true });
    const report = await runLockHealthCheck({ ...deps, store });
    expect(report).toMatchObject({ status: 'up', scriptsLoaded: true, scriptsReloaded: true, probe: 'ok' });
    expect(store.scopes).toEqual(['full']);
  });

  it('is down when the store could not load its scripts', async () => {
    const report = await runLockHealthCheck({ ...deps, store: storeWith({ scriptsLoaded: false }) });
    expect(report.status).toBe('down');
    expect(report.reason).toMatch(/scripts are not cached/);
  });

  it('names a connection that is not ready, with its last error scrubbed, when the check fails', async () => {
    const connection = { status: 'reconnecting', lastError: 'WRONGPASS for s3cret' };
    const store = storeWith({ connection }, new Error('ping failed'));
    const report = await runLockHealthCheck({ ...deps, store, secrets: ['s3cret'] });
    expect(report.status).toBe('down');
    expect(report.reason).toMatch(
      /^not connected to Redis \(client reconnecting; last error: WRONGPASS for \S+\): ping failed$/,
    );
    expect(report.reason).not.toContain('s3cret');
    expect(store.scopes).toEqual(['connection']);
  });

  it('a store without diagnose() is checked by ping and the probe alone', async () => {
    const report = await runLockHealthCheck({ ...deps, store: new MemoryLockStore() });
    expect(report).toMatchObject({ status: 'up', probe: 'ok' });
    expect(report.scriptsLoaded).toBeUndefined();
  });
});
