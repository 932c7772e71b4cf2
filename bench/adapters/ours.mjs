// @lynx-nest/redis-lock: the library's LockService on a RedisLockStore, built directly (no Nest app),
// `acquire()` + `release()` (no renewal, like the peers here). `fair` selects the fair queue with
// direct hand-off (the default) or the pub/sub race; pollers' `retryMs` is our fallback timer.
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { LockService, RedisLockStore, resolveModuleOptions } from '../.lib/index.js';

export function adapter(fair) {
  return {
    name: fair ? 'ours' : 'ours-unfair',
    async create({ port, ttlMs, retryMs }) {
      const client = new Redis({ port, host: '127.0.0.1' });
      const config = resolveModuleOptions({
        logging: { level: 'ERROR' },
        monitoring: { healthCheckInterval: 0 },
        lock: {
          fair,
          defaultTimeout: ttlMs,
          defaultRetryInterval: retryMs,
          maxRetries: -1,
          renewalEnabled: false,
          retryStrategy: { type: 'fixed', maxElapsedTime: '60s' },
        },
      });
      const locks = new LockService(config, new RedisLockStore({ client, owned: true }));
      await locks.onModuleInit();
      locks.onApplicationBootstrap();
      return {
        locks,
        acquire: (key) => locks.acquire(key),
        release: (key, handle) => handle.release(),
        close: async () => {
          await locks.beforeApplicationShutdown();
          await locks.onApplicationShutdown();
        },
      };
    },
  };
}

export const name = 'ours';
export const create = adapter(true).create;
