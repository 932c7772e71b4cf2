import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModuleOptions } from '@lynx-nest/redis-lock';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { describeLockStoreContract } from './support/lock-store-contract.js';
import { describePermitStoreContract } from './support/permit-store-contract.js';
import { command, startSentinel, waitUntil, type SentinelTopology } from './support/redis-topologies.js';

const sentinelStore = async () => {
  const sentinel = await startSentinel({ replicas: 1, sentinels: 3 });
  // `sentinels` given and no mode: inferred as Sentinel.
  const config = resolveModuleOptions({
    sentinels: sentinel.sentinelAddrs,
    masterName: sentinel.masterName,
    lock: { commandTimeout: '1s' },
  });
  expect(config.connection.mode).toBe('sentinel');
  const store = await createLockStore(config);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await sentinel.stop();
    },
  };
};

describeLockStoreContract('redis sentinel, 1 master + 1 replica + 3 sentinels', sentinelStore);
describePermitStoreContract('redis sentinel, 1 master + 1 replica + 3 sentinels', sentinelStore);

describe('redis sentinel failover', () => {
  let sentinel: SentinelTopology;
  let app: LockApp;
  beforeAll(async () => {
    sentinel = await startSentinel({ replicas: 1, sentinels: 3 });
    app = await createLockApp({
      mode: 'sentinel',
      addrs: sentinel.sentinelAddrs, // with mode 'sentinel' and no `sentinels`, addrs are the Sentinels
      masterName: sentinel.masterName,
      lock: { commandTimeout: '1s', renewalEnabled: false },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await sentinel?.stop();
  });

  it('after SENTINEL FAILOVER new locks work within a few seconds, on the new master, without restarting the app', async () => {
    const before = await app.locks.acquire('sentinel-job', '10s');
    const fenceBefore = await before.getFence();
    const { from, to } = await sentinel.failover();
    expect(to).not.toBe(from);

    const started = Date.now();
    let fence = 0;
    await waitUntil(
      'a new lock after the failover',
      async () => {
        try {
          const handle = await app.locks.tryLock(`after-failover-${Date.now()}`, '10s');
          if (!handle) return false;
          fence = await handle.getFence();
          await handle.release();
          return true;
        } catch {
          return false; // LockBackendError while the client moves to the new master
        }
      },
      15_000,
    );
    const recoveryMs = Date.now() - started;
    expect(fence).toBeGreaterThan(0);
    // The library writes to the promoted node: a lock taken now is visible there.
    const probe = await app.locks.acquire('where-am-i', '10s');
    expect(await command(to, 'EXISTS', 'lynx:lock:{where-am-i}')).toBe(1);
    await probe.release();
    // The lock taken before the (graceful) failover was replicated: it is still held and releasable.
    expect((await app.locks.inspect('sentinel-job')).held).toBe(true);
    expect(await before.release()).toBe(true);
    expect(fenceBefore).toBeGreaterThan(0);
    console.log(
      `sentinel failover ${from} -> ${to}: new locks worked again ${recoveryMs} ms after the new master was announced`,
    );
  }, 60_000);
});
