// redis-semaphore Mutex (polling with retryInterval), auto-refresh off (the scenarios hold for 1 ms).
import { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';

export const name = 'redis-semaphore';

export async function create({ port, ttlMs, retryMs }) {
  const client = new Redis({ port, host: '127.0.0.1' });
  await client.ping();
  return {
    async acquire(key) {
      const mutex = new Mutex(client, key, {
        lockTimeout: ttlMs,
        acquireTimeout: 60_000,
        retryInterval: retryMs,
        refreshInterval: 0,
      });
      await mutex.acquire();
      return mutex;
    },
    release: (key, mutex) => mutex.release(),
    close: () => client.quit(),
  };
}
