import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockLostError, LockShutdownError } from '@lynx-nest/redis-lock';
import { createLockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// Issue 13: `handle.release()` after the module shut down (which released the lock already) must not
// reject with "Connection is closed": in a `finally` that would hide the critical section's own error.

describe('handle.release() after the module shut down', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    closeClients();
    await redis?.stop();
  });

  const open = () =>
    createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'closing', lock: { commandTimeout: '300ms' } });

  it('resolves (false: the shutdown took the lock) and leaves the section error visible', async () => {
    const app = await open();
    const lock = await app.locks.acquire('closing:a', '10s');
    const section = async () => {
      try {
        await app.close();
        throw new Error('the section failed');
      } finally {
        await lock.release();
      }
    };
    await expect(section()).rejects.toThrow('the section failed');
    expect(lock.signal.reason).toBeInstanceOf(LockLostError);
    expect((lock.signal.reason as LockLostError).reason).toBe('shutdown');
    expect(await lock.release()).toBe(false);
    const direct = redis.client();
    expect(await direct.exists('lynx:lock:{closing:a}')).toBe(0);
  });

  it('rejects with LockShutdownError when the shutdown could not release the lock', async () => {
    const app = await open();
    const lock = await app.locks.acquire('closing:down', '10s');
    await redis.kill(); // the shutdown's release fails: the lock stays in Redis until its TTL
    try {
      await app.close();
      const error = await lock.release().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockShutdownError);
      expect((error as LockShutdownError).key).toBe('closing:down');
      expect((error as Error).message).toMatch(/could not be released/);
    } finally {
      await redis.restart();
    }
  });
});
