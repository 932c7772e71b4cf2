// redis-semaphore: `Mutex` for the mutex scenarios, `Semaphore` for the semaphore scenario (both
// poll every `retryInterval`), lockTimeout = the TTL, auto-refresh off (the scenarios hold for 1 ms).
// It has no read-write lock, so it sits the read-write scenario out.
import { Redis } from 'ioredis';
import { Mutex, Semaphore } from 'redis-semaphore';

export const name = 'redis-semaphore';
export const kinds = ['mutex', 'semaphore'];

export async function create({ port, ttlMs, retryMs }) {
  const client = new Redis({ port, host: '127.0.0.1' });
  await client.ping();
  const options = { lockTimeout: ttlMs, acquireTimeout: 60_000, retryInterval: retryMs, refreshInterval: 0 };
  return {
    async acquire(key) {
      const mutex = new Mutex(client, key, options);
      await mutex.acquire();
      return mutex;
    },
    release: (key, mutex) => mutex.release(),
    async hold({ key, permits }, _stop, body) {
      const semaphore = new Semaphore(client, key, permits, options);
      await semaphore.acquire();
      try {
        await body();
      } finally {
        await semaphore.release();
      }
    },
    close: () => client.quit(),
  };
}
