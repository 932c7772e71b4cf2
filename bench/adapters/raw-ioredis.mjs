// Baseline: SET key token NX PX ttl, retry every `retryMs`; release by a Lua compare-and-delete.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export const name = 'raw-ioredis';
export const kinds = ['mutex'];

export async function create({ port, ttlMs, retryMs }) {
  const client = new Redis({ port, host: '127.0.0.1' });
  client.defineCommand('casDel', { numberOfKeys: 1, lua: RELEASE });
  await client.ping();
  await client.script('LOAD', RELEASE);
  return {
    async acquire(key, stop) {
      const token = randomBytes(16).toString('hex');
      for (;;) {
        if ((await client.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') return token;
        if (stop.stopped) return undefined;
        await new Promise((r) => setTimeout(r, retryMs));
      }
    },
    async release(key, token) {
      await client.casDel(key, token);
    },
    close: () => client.quit(),
  };
}
