// @lynx-nest/redis-lock: the library's LockService on a RedisLockStore, built directly (no Nest app).
// Mutex scenarios: `acquire()` + `release()` (no renewal, like the peers here). `fair` selects the
// fair queue with direct hand-off (the default) or the pub/sub race; pollers' `retryMs` is our
// fallback timer. Semaphore and read-write scenarios: `semaphore(name, { permits }).withPermits(1,
// fn)`, `withReadLock` / `withWriteLock`; with `rwAsMutex` every read and write takes the plain
// mutex through `withLock` instead (the read-write scenario's baseline: the same workload on a mutex).
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { LockService, RedisLockStore, resolveModuleOptions } from '../.lib/index.js';

export function adapter({ fair, rwAsMutex = false }) {
  return {
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
      const semaphores = new Map();
      const semaphore = (name, permits) => {
        if (!semaphores.has(name)) semaphores.set(name, locks.semaphore(name, { permits }));
        return semaphores.get(name);
      };
      const holds = {
        permit: ({ key, permits }, body) => semaphore(key, permits).withPermits(1, body),
        read: ({ key }, body) => (rwAsMutex ? locks.withLock(key, body) : locks.withReadLock(key, body)),
        write: ({ key }, body) => (rwAsMutex ? locks.withLock(key, body) : locks.withWriteLock(key, body)),
      };
      return {
        locks,
        acquire: (key) => locks.acquire(key),
        release: (key, handle) => handle.release(),
        hold: (op, _stop, body) => holds[op.mode](op, body),
        close: async () => {
          await locks.beforeApplicationShutdown();
          await locks.onApplicationShutdown();
        },
      };
    },
  };
}

export const name = 'ours';
/** Scenario kinds this adapter runs (see `SCENARIOS` in bench/run.mjs). */
export const kinds = ['mutex', 'semaphore', 'rw'];
export const create = adapter({ fair: true }).create;
