// @sesamecare-oss/redlock on one node, unlimited retries every `retryMs` (jitter 2 ms), no auto-extension.
import { Redis } from 'ioredis';
import { Redlock } from '@sesamecare-oss/redlock';

export const name = 'redlock';
export const kinds = ['mutex'];

export async function create({ port, ttlMs, retryMs }) {
  const client = new Redis({ port, host: '127.0.0.1' });
  await client.ping();
  const redlock = new Redlock([client], { retryCount: -1, retryDelay: retryMs, retryJitter: 2, driftFactor: 0.01 });
  redlock.on('error', () => undefined);
  return {
    acquire: (key) => redlock.acquire([key], ttlMs),
    release: (key, lock) => lock.release(),
    close: () => client.quit(),
  };
}
