import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

describe('smoke', () => {
  let redis: RedisServer;
  let app: LockApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('locks and releases', async () => {
    const result = await app.locks.withLock('a', async (lock) => {
      expect(lock.isHeld()).toBe(true);
      expect(await lock.getFence()).toBeGreaterThan(0);
      const inner = await app.locks.withLock('a', async (l2) => l2.holdCount);
      return inner;
    });
    expect(result).toBe(2);
    expect((await app.locks.inspect('a')).held).toBe(false);
  });
});
