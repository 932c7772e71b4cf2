import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_STORE, LockService, MultiLockHandle, type LockStore } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { Test } from '@nestjs/testing';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two owners (separate module instances, separate connections) taking [a, b] and [b, a] in a loop. */
async function crossLoop(one: LockService, two: LockService, ms: number, prefix: string) {
  const inside = new Map<string, number>();
  let overlaps = 0;
  const errors: unknown[] = [];
  const counts = [0, 0];
  const until = performance.now() + ms;
  const loop = async (locks: LockService, keys: string[], index: number) => {
    while (performance.now() < until) {
      try {
        await locks.withLocks(
          keys,
          async (held) => {
            for (const k of held.keys) {
              if (inside.get(k)) overlaps++;
              inside.set(k, 1);
            }
            await sleep(Math.random() * 2);
            for (const k of held.keys) inside.set(k, 0);
          },
          { ttl: '5s', maxRetries: -1, maxElapsedTime: '5s', retryInterval: '5ms' },
        );
        counts[index]++;
      } catch (error) {
        errors.push(error);
        return;
      }
    }
  };
  await Promise.all([loop(one, [`${prefix}a`, `${prefix}b`], 0), loop(two, [`${prefix}b`, `${prefix}a`], 1)]);
  return { overlaps, errors, counts };
}

describe('withLocks on Redis', () => {
  let redis: RedisServer;
  let one: LockApp;
  let two: LockApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    one = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'one' });
    two = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'two' });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await redis?.stop();
  });

  it('passes a MultiLockHandle in canonical order and releases everything', async () => {
    const seen = await one.locks.withLocks(['m:c', 'm:a', 'm:b', 'm:a'], async (held) => {
      expect(held).toBeInstanceOf(MultiLockHandle);
      expect(held.isHeld()).toBe(true);
      expect(held.signal.aborted).toBe(false);
      // The atomic multi-key script minted every token: known at once, and getFences() agrees.
      expect(Object.values(held.fences).every((f) => f !== undefined && f > 0)).toBe(true);
      expect(await held.getFences()).toEqual(held.fences);
      expect((await one.locks.inspect('m:b')).held).toBe(true);
      // reentrant within the callback
      const inner = await one.locks.withLock('m:a', async (l) => l.holdCount);
      expect(inner).toBe(2);
      return held.keys;
    });
    expect(seen).toEqual(['m:a', 'm:b', 'm:c']);
    for (const k of seen) expect((await one.locks.inspect(k)).held).toBe(false);
  });

  it('takes all or none: a busy key leaves the others free, and the call waits for it', async () => {
    const busy = await two.locks.acquire('n:b', '5s');
    const attempt = await one.locks.tryWithLocks(['n:a', 'n:b', 'n:c'], () => 'ran');
    expect(attempt).toEqual({ acquired: false, busyKey: 'n:b' });
    expect((await one.locks.inspect('n:a')).held).toBe(false);
    const waiting = one.locks.withLocks(['n:c', 'n:b', 'n:a'], async (held) => held.keys, {
      maxRetries: -1,
      maxElapsedTime: '5s',
    });
    await sleep(100);
    expect((await one.locks.inspect('n:a')).held).toBe(false); // waiting holds nothing
    expect((await one.locks.inspect('n:c')).held).toBe(false);
    await busy.release();
    expect(await waiting).toEqual(['n:a', 'n:b', 'n:c']);
  });

  it('two owners taking [a, b] and [b, a] in a loop for 10 s never deadlock and never time out (atomic script)', async () => {
    const stores = [one.module.get<LockStore>(LOCK_STORE), two.module.get<LockStore>(LOCK_STORE)];
    let atomic = 0;
    for (const store of stores) {
      const original = store.acquireMany!.bind(store);
      (store as { acquireMany?: unknown }).acquireMany = (...args: Parameters<typeof original>) => {
        atomic++;
        return original(...args);
      };
    }
    let result: Awaited<ReturnType<typeof crossLoop>>;
    try {
      result = await crossLoop(one.locks, two.locks, 10_000, 'x:');
    } finally {
      for (const store of stores) delete (store as { acquireMany?: unknown }).acquireMany;
    }
    console.log(
      `atomic: ${result.counts.join(' + ')} rounds, ${atomic} atomic attempts, ${result.errors.length} errors`,
    );
    expect(atomic).toBeGreaterThanOrEqual(result.counts[0] + result.counts[1]);
    expect(result.errors).toEqual([]);
    expect(result.overlaps).toBe(0);
    expect(result.counts[0]).toBeGreaterThan(0);
    expect(result.counts[1]).toBeGreaterThan(0);
  });

  it('the same with ordered one-by-one acquisition (as on Redis Cluster)', async () => {
    const stores = [one.module.get<LockStore>(LOCK_STORE), two.module.get<LockStore>(LOCK_STORE)];
    const calls = { atomic: 0 };
    for (const store of stores) {
      // Behave like a Cluster store: no atomic multi-key script for these keys.
      (store as { acquireMany?: unknown }).acquireMany = async () => {
        calls.atomic++;
        return undefined;
      };
    }
    try {
      const result = await crossLoop(one.locks, two.locks, 4_000, 'y:');
      console.log(`ordered: ${result.counts.join(' + ')} rounds, ${result.errors.length} errors`);
      expect(calls.atomic).toBeGreaterThan(0);
      expect(result.errors).toEqual([]);
      expect(result.overlaps).toBe(0);
      expect(result.counts[0]).toBeGreaterThan(0);
      expect(result.counts[1]).toBeGreaterThan(0);
    } finally {
      for (const store of stores) delete (store as { acquireMany?: unknown }).acquireMany;
    }
  });

  it('rejects bad key lists', async () => {
    await expect(one.locks.withLocks([], () => 1)).rejects.toThrow(/non-empty array/);
    await expect(one.locks.withLocks(['ok', 'bad{'], () => 1)).rejects.toThrow(/keys\[1\]/);
    const tooMany = Array.from({ length: 65 }, (_, i) => `many:${i}`);
    await expect(one.locks.withLocks(tooMany, () => 1)).rejects.toThrow(/at most 64/);
    expect((await one.locks.list('many:')).length).toBe(0); // nothing was taken
  });
});

describe('withLocks on the memory store', () => {
  it('has the same all-or-none contract', async () => {
    const module = await Test.createTestingModule({ imports: [LockTestingModule.forRoot()] }).compile();
    await module.init();
    try {
      const locks = module.get(LockService);
      const b = await locks.acquire('b', '5s');
      expect(await locks.tryWithLocks(['a', 'b'], () => 1)).toEqual({ acquired: false, busyKey: 'b' });
      expect((await locks.inspect('a')).held).toBe(false);
      await b.release();
      expect(await locks.withLocks(['b', 'a'], (held) => held.keys)).toEqual(['a', 'b']);
    } finally {
      await module.close();
    }
  });
});
