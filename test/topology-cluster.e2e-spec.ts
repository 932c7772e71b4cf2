import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCK_STORE,
  LockBackendError,
  resolveModuleOptions,
  unwrapStore,
  type LockHandle,
  type LockStore,
  type RedisLockStore,
} from '@lynx-nest/redis-lock';
import { Cluster } from 'ioredis';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { describeLockStoreContract } from './support/lock-store-contract.js';
import { describePermitStoreContract } from './support/permit-store-contract.js';
import { startCluster, waitUntil, type RedisClusterTopology } from './support/redis-topologies.js';

const clusterStore = async (masters: number, replicasPerMaster: number) => {
  const cluster = await startCluster({ masters, replicasPerMaster });
  // Several addrs and no mode: inferred as a Cluster.
  const config = resolveModuleOptions({ addrs: cluster.addrs, lock: { commandTimeout: '1s' } });
  expect(config.connection.mode).toBe('cluster');
  const store = await createLockStore(config);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await cluster.stop();
    },
  };
};

describeLockStoreContract('redis cluster, 3 masters', () => clusterStore(3, 0));
describeLockStoreContract('redis cluster, 3 masters + 3 replicas', () => clusterStore(3, 1));
describePermitStoreContract('redis cluster, 3 masters', () => clusterStore(3, 0));

describe('redis cluster failover (3 masters + 3 replicas)', () => {
  let cluster: RedisClusterTopology;
  let app: LockApp;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    // WAIT on Cluster: the keyless WAIT rides in the acquire's pipeline to the key's master.
    app = await createLockApp({
      mode: 'cluster',
      addrs: cluster.addrs,
      wait: { replicas: 1, timeout: '1s' },
      lock: { commandTimeout: '2s', renewalEnabled: false },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('creates an ioredis Cluster client', () => {
    const backend = unwrapStore(app.module.get<LockStore>(LOCK_STORE)) as RedisLockStore; // under the circuit breaker
    expect(backend.redis).toBeInstanceOf(Cluster);
  });

  it('a lock taken before CLUSTER FAILOVER stays owned: renewable and releasable after it', async () => {
    const name = 'failover-job';
    const handle: LockHandle = await app.locks.acquire(name, '20s');
    const fence = await handle.getFence();
    const master = await cluster.masterOf(`lynx:lock:{${name}}`);
    const replicaOfMaster = [];
    for (const node of cluster.nodes) {
      if (node === master) continue;
      const role = (await node.server.client().role()) as [string, string, number];
      if (role[0] === 'slave' && Number(role[2]) === master.server.port) replicaOfMaster.push(node);
    }
    expect(replicaOfMaster).toHaveLength(1);
    await cluster.failover(replicaOfMaster[0]);
    expect((await cluster.masterOf(`lynx:lock:{${name}}`)).server.port).toBe(replicaOfMaster[0].server.port);

    // The client learns the new slot owner from MOVED; a call during the switch may fail with
    // LockBackendError, which is what callers (and the watchdog) retry on.
    await waitUntil(
      'renewal after failover',
      async () => {
        try {
          await handle.renew('20s'); // rejects with LockLostError if the lock was gone
          return true;
        } catch (error) {
          if (!(error instanceof LockBackendError)) throw error;
          return false;
        }
      },
      10_000,
    );
    expect(handle.isHeld()).toBe(true);
    expect(handle.signal.aborted).toBe(false);
    const info = await app.locks.inspect(name);
    expect(info.held).toBe(true);
    expect(info.fence).toBe(fence);
    await handle.release();
    expect((await app.locks.inspect(name)).held).toBe(false);
    // New locks work and fences keep rising on the promoted node.
    const next = await app.locks.acquire(name, '5s');
    expect(await next.getFence()).toBeGreaterThan(fence);
    await next.release();
  }, 60_000);
});
