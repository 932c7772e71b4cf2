import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError, LockBackendError, resolveModuleOptions, type LockStore } from '@lynx-nest/redis-lock';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { createLockApp } from './support/lock-app.js';
import { command, startReplicated, waitUntil } from './support/redis-topologies.js';
import type { RedisServer } from './support/redis-server.js';
import { ownerOf } from './support/lock-value.js';

describe('wait: replicas must acknowledge an acquire (WAIT pipelined with it)', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let stopAll: () => Promise<void>;
  let store: LockStore;
  beforeAll(async () => {
    const topology = await startReplicated(1);
    master = topology.master;
    replica = topology.replicas[0];
    stopAll = topology.stop;
    const config = resolveModuleOptions({
      addrs: [`127.0.0.1:${master.port}`],
      // Generous: under CPU load (2 shared cores) a healthy replica's acknowledgement can take a while.
      wait: { replicas: 1, timeout: '1s' },
      lock: { commandTimeout: '3s', circuitBreaker: { enabled: false } },
    });
    expect(config.connection.wait).toEqual({ replicas: 1, timeoutMs: 1000 });
    store = await createLockStore(config);
    await store.init();
  }, 30_000);
  afterAll(async () => {
    replica?.resume();
    await store?.close();
    await stopAll?.();
  });

  it('with the replica in sync, the acquire succeeds and the lock is on the replica too', async () => {
    const r = await store.acquire('replicated', 'owner:a', 5000, false);
    expect(r.acquired).toBe(true);
    expect(ownerOf((await command(replica.port, 'GET', 'lynx:lock:{replicated}')) as string)).toBe('owner:a');
    expect(await store.release('replicated', 'owner:a')).toBe(0);
  });

  it('a busy answer stays an ordinary busy answer', async () => {
    expect((await store.acquire('busy', 'owner:a', 5000, false)).acquired).toBe(true);
    expect(await store.acquire('busy', 'owner:b', 5000, false)).toMatchObject({ acquired: false, heldBySelf: false });
    await store.release('busy', 'owner:a');
  });

  it('with the replica link cut (replica stalled), the acquire fails with LockBackendError and the key is gone', async () => {
    replica.pause(); // SIGSTOP: it no longer acknowledges the replication stream
    try {
      const error = await store.acquire('unreplicated', 'owner:a', 5000, false).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as Error).message).toMatch(/only 0 of 1 replica\(s\) acknowledged/);
      expect(await command(master.port, 'EXISTS', 'lynx:lock:{unreplicated}')).toBe(0);
      expect((await store.inspect('unreplicated')).held).toBe(false);
    } finally {
      replica.resume();
    }
    await waitUntil(
      'the replica to catch up',
      async () => (await command(replica.port, 'EXISTS', 'lynx:lock:{unreplicated}')) === 0,
    );
    // Healed: acquisitions succeed again.
    expect((await store.acquire('unreplicated', 'owner:a', 5000, false)).acquired).toBe(true);
    expect(await store.release('unreplicated', 'owner:a')).toBe(0);
  }, 20_000);

  it('through LockService (fair queue path by default): a stalled replica makes tryLock fail and leaves no key', async () => {
    const app = await createLockApp({
      addrs: [`127.0.0.1:${master.port}`],
      wait: { replicas: 1, timeout: '1s' },
      lock: { commandTimeout: '3s', circuitBreaker: { enabled: false } },
    });
    try {
      const ok = await app.locks.tryLock('svc-job', '5s');
      expect(ok).not.toBeNull();
      await ok!.release();
      replica.pause();
      try {
        await expect(app.locks.tryLock('svc-job', '5s')).rejects.toBeInstanceOf(LockBackendError);
        expect(await command(master.port, 'EXISTS', 'lynx:lock:{svc-job}')).toBe(0);
      } finally {
        replica.resume();
      }
    } finally {
      await app.close();
    }
  }, 20_000);

  it('rejects a WAIT timeout that is not below the command timeout, and WAIT with redlock', () => {
    expect(() =>
      resolveModuleOptions({ wait: { replicas: 1, timeout: '2s' }, lock: { commandTimeout: '1s' } }),
    ).toThrow(/wait\.timeout must be below lock\.commandTimeout/);
    expect(() =>
      resolveModuleOptions({ mode: 'redlock', addrs: ['a:1', 'b:1', 'c:1'], wait: { replicas: 1 } }),
    ).toThrow(InvalidLockOptionsError);
    expect(resolveModuleOptions({ wait: { replicas: 0 } }).connection.wait).toBeUndefined();
    expect(resolveModuleOptions({}).connection.wait).toBeUndefined();
  });
});
