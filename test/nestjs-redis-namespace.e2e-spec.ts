import 'reflect-metadata';
import { RedisModule, RedisService } from '@liaoliaots/nestjs-redis';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError, LockService, RedisLockModule } from '@lynx-nest/redis-lock';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { ownerOf } from './support/lock-value.js';

describe('a client registered with @liaoliaots/nestjs-redis, by namespace', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('locks through the app client and leaves it open when the lock module shuts down', async () => {
    const module = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({ namespace: 'locks', monitoring: { healthCheckInterval: 0 } }),
        RedisModule.forRoot({
          closeClient: false,
          config: { namespace: 'locks', host: '127.0.0.1', port: redis.port },
        }),
      ],
    }).compile();
    await module.init();
    const locks = module.get(LockService);
    const client = module.get(RedisService).getOrThrow('locks');
    const fence = await locks.withLock('ns:1', async (lock) => {
      expect(ownerOf(await client.get('lynx:lock:{ns:1}'))).toBe(lock.getValue());
      return lock.getFence();
    });
    expect(fence).toBeGreaterThan(0);
    await module.close();
    expect(client.status).toBe('ready'); // owned by the app, not closed by the lock module
    client.disconnect();
  });

  it('an unknown namespace fails start-up with a clear error', async () => {
    const error = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({ namespace: 'nope' }),
        RedisModule.forRoot({ config: { namespace: 'locks', host: '127.0.0.1', port: redis.port, lazyConnect: true } }),
      ],
    })
      .compile()
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.message).toContain('no Redis client named "nope"');
  });
});
