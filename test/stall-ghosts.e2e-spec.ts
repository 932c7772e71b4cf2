import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError } from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// An acquire that timed out while Redis was stalled was still sent: Redis runs it when it answers
// again. Nobody is waiting for its answer, so it must not leave a queue entry (fair) or a lock
// (either mode) behind: each such call sends its undo right behind it.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('acquisitions that timed out during a Redis stall leave nothing behind', () => {
  let redis: RedisServer;
  let holder: LockApp;
  let waiter: LockApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    const lock = { commandTimeout: '200ms', maxRetries: -1, retryStrategy: { maxElapsedTime: '5s' } };
    holder = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'holder', lock });
    waiter = await createLockApp({
      addrs: [`127.0.0.1:${redis.port}`],
      instanceId: 'waiter',
      lock: { ...lock, circuitBreaker: { enabled: false } },
    });
  });
  afterAll(async () => {
    redis?.resume();
    await holder?.close();
    await waiter?.close();
    closeClients();
    await redis?.stop();
  });

  it('fair: the stalled attempt does not stay queued, so the release does not hand the lock to it', async () => {
    const held = await holder.locks.acquire('ghost:fair', '10s');
    redis.pause();
    try {
      const error = await waiter.locks.acquire('ghost:fair', '10s', { fair: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect((error as LockBackendError).timedOut).toBe(true);
    } finally {
      redis.resume();
    }
    await sleep(200); // the stalled attempt and its undo have run
    expect((await holder.locks.inspect('ghost:fair')).waiters).toBe(0);
    await held.release();
    expect((await holder.locks.inspect('ghost:fair')).held).toBe(false);
  });

  it('unfair: the stalled attempt that took a free lock releases it again', async () => {
    redis.pause();
    try {
      const error = await waiter.locks.acquire('ghost:unfair', '10s', { fair: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBackendError);
    } finally {
      redis.resume();
    }
    await sleep(200);
    expect((await holder.locks.inspect('ghost:unfair')).held).toBe(false);
  });

  it('fair: a stalled attempt on a free lock does not keep it either', async () => {
    redis.pause();
    try {
      await expect(waiter.locks.acquire('ghost:free', '10s', { fair: true })).rejects.toBeInstanceOf(LockBackendError);
    } finally {
      redis.resume();
    }
    await sleep(200);
    expect(await holder.locks.inspect('ghost:free')).toMatchObject({ held: false, waiters: 0 });
  });
});
