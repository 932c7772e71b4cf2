import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisLockStore } from '@lynx-nest/redis-lock';
import { WriteCoalescer } from '../libs/redis-lock/src/store/write-coalescer.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// The write coalescer (store/write-coalescer.ts): commands sent in one turn while others are in
// flight leave in one socket write; a lone command is written at once; replies stay in order.

interface CountedSocket {
  writableCorked: number;
  _write: (...args: unknown[]) => unknown;
  _writev: (...args: unknown[]) => unknown;
}

/** Counts the socket-level writes (`_write`: one chunk, `_writev`: a batch) of a connected client. */
function countWrites(client: Redis): { single: number; batched: number; chunks: number } {
  const socket = (client as unknown as { stream: CountedSocket }).stream;
  const counts = { single: 0, batched: 0, chunks: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args) => {
    counts.single++;
    counts.chunks++;
    return write(...args);
  };
  socket._writev = (chunks, ...rest) => {
    counts.batched++;
    counts.chunks += (chunks as unknown[]).length;
    return writev(chunks, ...rest);
  };
  return counts;
}

const socketOf = (client: Redis) => (client as unknown as { stream: CountedSocket }).stream;

describe('write coalescing', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    closeClients();
    await redis?.stop();
  });

  it('corks only while commands are in flight, and uncorks at the end of the turn', async () => {
    const client = redis.client();
    await client.ping();
    const writes = new WriteCoalescer(client);
    writes.hold();
    expect(socketOf(client).writableCorked).toBe(0); // nothing in flight: written at once
    const first = client.ping();
    writes.hold();
    expect(socketOf(client).writableCorked).toBe(1);
    const second = client.echo('two');
    writes.hold(); // already held this turn: no second cork
    expect(socketOf(client).writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(socketOf(client).writableCorked).toBe(0);
    expect(await Promise.all([first, second])).toEqual(['PONG', 'two']);
  });

  it('leaves a Cluster-like client without a socket alone', () => {
    const writes = new WriteCoalescer({ status: 'ready', commandQueue: { length: 3 } } as never);
    expect(() => writes.hold()).not.toThrow();
  });

  it('64 concurrent lock cycles on the store: far fewer socket writes than commands, every lock exact', async () => {
    const client = redis.client();
    const store = new RedisLockStore({ client, keyPrefix: 'wc:' });
    await store.init();
    const counts = countWrites(client);
    const results = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const out: number[] = [];
        for (let round = 0; round < 20; round++) {
          const owner = `w${i}:${round}`;
          out.push((await store.claim(`k${i}`, owner, 5000)) ? 1 : 0);
          out.push(await store.release(`k${i}`, owner));
        }
        return out;
      }),
    );
    for (const out of results) expect(out).toEqual(Array.from({ length: 20 }, () => [1, 0]).flat());
    expect(counts.chunks).toBe(64 * 20 * 2); // every command written, once
    expect(counts.batched).toBeGreaterThan(0);
    expect(counts.single + counts.batched).toBeLessThan(counts.chunks / 4);
    await store.close();
  });

  it('a serial caller is never corked: one write per command', async () => {
    const client = redis.client();
    const store = new RedisLockStore({ client, keyPrefix: 'wc:' });
    await store.init();
    const counts = countWrites(client);
    for (let round = 0; round < 20; round++) {
      expect(await store.claim('serial', `s:${round}`, 5000)).toBe(true);
      expect(await store.release('serial', `s:${round}`)).toBe(0);
    }
    expect(counts).toEqual({ single: 40, batched: 0, chunks: 40 });
    await store.close();
  });
});
