import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { LockService, RedisLockModule } from '@lynx-nest/redis-lock';
import { MemoryLockStore } from '../store/memory-lock.store.js';
import { HEALTH_PROBE_KEY } from './lock-health.check.js';

describe('LockService.list', () => {
  it('skips the reserved probe name and foreign names even when they fill the first SCAN slots', async () => {
    const store = new MemoryLockStore();
    const module = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ store, instanceId: 'me', monitoring: { healthCheckInterval: 0 } })],
    }).compile();
    await module.init();
    try {
      const locks = module.get(LockService);
      // written straight to the store: names LockService itself would refuse or hide
      await store.acquire(HEALTH_PROBE_KEY, 'x:1', 10_000, false);
      await store.acquire('a{b', 'x:2', 10_000, false);
      await store.acquire('a}c', 'x:3', 10_000, false);
      const handle = await locks.acquire('b', '10s');
      expect((await locks.list('', 1)).map((i) => i.key)).toEqual(['b']);
      expect((await locks.list()).map((i) => i.key)).toEqual(['b']);
      expect(await locks.list('a')).toEqual([]);
      await handle.release();
      expect(await locks.list()).toEqual([]);
    } finally {
      await module.close();
    }
  });
});
