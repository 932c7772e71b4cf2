import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError, resolveModuleOptions, type LockStore } from '@lynx-nest/redis-lock';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { RedlockStore } from '../libs/redis-lock/src/store/redlock.store.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { describeLockStoreContract } from './support/lock-store-contract.js';
import type { RedisServer } from './support/redis-server.js';
import { command, startIndependentMasters } from './support/redis-topologies.js';
import { lockValue, ownerOf } from './support/lock-value.js';

const redlockStore = async (servers: RedisServer[]) => {
  const config = resolveModuleOptions({
    mode: 'redlock',
    addrs: servers.map((s) => `127.0.0.1:${s.port}`),
    lock: { commandTimeout: '500ms', circuitBreaker: { enabled: false } },
  });
  return createLockStore(config);
};

for (const count of [3, 5]) {
  describeLockStoreContract(`redlock, ${count} masters with one stopped`, async () => {
    const servers = await startIndependentMasters(count);
    const store = await redlockStore(servers);
    await servers[count - 1].kill(); // a minority is down for the whole contract run
    return {
      store,
      cleanup: async () => {
        await store.close();
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
  });
}

describe('redlock quorum', () => {
  let servers: RedisServer[];
  let store: LockStore;
  beforeAll(async () => {
    servers = await startIndependentMasters(3);
    store = await redlockStore(servers);
    await store.init();
  }, 30_000);
  afterAll(async () => {
    await store?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('is a RedlockStore with a majority quorum, and takes the lock on every live master', async () => {
    expect(store).toBeInstanceOf(RedlockStore);
    expect((store as RedlockStore).quorum).toBe(2);
    const r = await store.acquire('everywhere', 'owner:a', 5000, false);
    expect(r.acquired).toBe(true);
    for (const s of servers)
      expect(ownerOf((await command(s.port, 'GET', 'lynx:lock:{everywhere}')) as string)).toBe('owner:a');
    expect(await store.release('everywhere', 'owner:a')).toBe(0);
    for (const s of servers) expect(await command(s.port, 'EXISTS', 'lynx:lock:{everywhere}')).toBe(0);
  });

  it('the fence is the maximum over the quorum, minted in the acquire or later', async () => {
    // Push one node's counter far ahead: the quorum's token must follow the highest.
    await command(servers[1].port, 'SET', 'lynx:lock:{fenced}:fence', '4000000000000000', 'PX', 60_000);
    const r = await store.acquire('fenced', 'owner:a', 5000, false, true);
    if (!r.acquired) throw new Error('not acquired');
    expect(r.fence).toBeGreaterThanOrEqual(4000000000000000 + 1);
    await store.release('fenced', 'owner:a');
    expect(await store.claim!('fenced', 'owner:b', 5000)).toBe(true);
    expect(await store.mintFence('fenced', 'owner:b', 5000)).toBeGreaterThan(r.fence!);
    await store.release('fenced', 'owner:b');
  });

  it('a claim that reaches no quorum is undone on the nodes it took', async () => {
    await command(servers[0].port, 'SET', 'lynx:lock:{claimed}', '0 1 0 owner:x', 'PX', 5000);
    await command(servers[1].port, 'SET', 'lynx:lock:{claimed}', '0 1 0 owner:x', 'PX', 5000);
    expect(await store.claim!('claimed', 'owner:a', 5000)).toBe(false);
    for (const s of servers.slice(2)) expect(await command(s.port, 'EXISTS', 'lynx:lock:{claimed}')).toBe(0);
    await store.forceRelease('claimed');
  });

  it('a majority held by another owner is busy (an ordinary answer), and our partial grant is undone', async () => {
    // Another owner holds the lock on two of three masters; the third is free.
    for (const s of servers.slice(0, 2))
      await command(s.port, 'SET', 'lynx:lock:{contested}', lockValue('owner:other'), 'PX', 5000);
    const r = await store.acquire('contested', 'owner:a', 5000, false);
    expect(r.acquired).toBe(false);
    if (!r.acquired) {
      expect(r.heldBySelf).toBe(false);
      expect(r.holderTtlMs).toBeGreaterThan(0);
    }
    expect(await command(servers[2].port, 'EXISTS', 'lynx:lock:{contested}')).toBe(0);
    const info = await store.inspect('contested');
    expect(info).toMatchObject({ held: true, owner: 'owner:other' });
    expect(await store.forceRelease('contested')).toBe(true);
  });

  it('renew needs a quorum: a lock that survives on one master only is refused', async () => {
    const r = await store.acquire('renew-quorum', 'owner:a', 5000, false);
    expect(r.acquired).toBe(true);
    for (const s of servers.slice(0, 2)) await command(s.port, 'DEL', 'lynx:lock:{renew-quorum}');
    expect(await store.renew('renew-quorum', 'owner:a', 5000)).toBe(false);
    expect((await store.inspect('renew-quorum')).held).toBe(false);
    await store.release('renew-quorum', 'owner:a');
  });

  it('with a majority stopped, acquire fails with LockBackendError (quorum not reached) and leaves no partial lock', async () => {
    await servers[0].kill();
    await servers[1].kill();
    const error = await store.acquire('no-quorum', 'owner:a', 5000, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as Error).message).toMatch(/quorum not reached/);
    expect((error as LockBackendError).operation).toBe('acquire');
    expect(await command(servers[2].port, 'EXISTS', 'lynx:lock:{no-quorum}')).toBe(0);
    await expect(store.ping()).rejects.toBeInstanceOf(LockBackendError);

    // Back to a majority: the same store works again without being re-created.
    await servers[0].restart();
    let acquired = false;
    for (let i = 0; i < 50 && !acquired; i++) {
      acquired = await store
        .acquire('no-quorum', 'owner:a', 5000, false)
        .then((res) => res.acquired)
        .catch(() => false);
      if (!acquired) await new Promise((r) => setTimeout(r, 100));
    }
    expect(acquired).toBe(true);
    expect(await store.release('no-quorum', 'owner:a')).toBe(0);
  }, 30_000);
});

describe('redlock through the module (5 masters, two of them stopped)', () => {
  let servers: RedisServer[];
  let app: LockApp;
  beforeAll(async () => {
    servers = await startIndependentMasters(5);
    app = await createLockApp({
      mode: 'redlock',
      addrs: servers.map((s) => `127.0.0.1:${s.port}`),
      lock: { commandTimeout: '500ms' },
    });
    await servers[3].kill();
    await servers[4].kill();
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('withLock, reentrancy and a waiter woken by the release all work with 3 of 5 masters', async () => {
    const holder = await app.locks.acquire('module-job', '5s');
    const holderFence = await holder.getFence();
    const waiter = app.locks.withLock('module-job', (lock) => lock.getFence(), {
      ttl: '5s',
      maxRetries: -1,
      maxElapsedTime: '5s',
    });
    await new Promise((r) => setTimeout(r, 100));
    const nested = await app.locks.withLock('outer', () =>
      app.locks.withLock('outer', async (inner) => inner.holdCount),
    );
    expect(nested).toBe(2);
    expect(await holder.release()).toBe(true);
    expect(await waiter).toBeGreaterThan(holderFence);
    expect((await app.locks.inspect('module-job')).held).toBe(false);
  });
});
