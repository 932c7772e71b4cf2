import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidLockOptionsError,
  LockAcquireTimeoutError,
  LockError,
  RedisLockStore,
  WithLock,
  type LockHandle,
  type LockStore,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// Issue 13, defect 2: a lock whose validity (TTL from before the acquire was sent, minus the drift
// margin round(ttl * 1%) + 2 ms) already ended when the reply came is no lock: no handle, no
// callback, and Redis gets it back. A TTL that leaves no validity at all is refused up front.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

@Injectable()
class ShortJobs {
  @WithLock('short:decorated', { ttl: 2 })
  tooShort(): string {
    return 'ran';
  }
}

/** Rejects with InvalidLockOptionsError naming `field` (and nothing ran). */
async function expectRefused(call: () => Promise<unknown>, field: RegExp): Promise<void> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidLockOptionsError);
  expect((error as InvalidLockOptionsError).problems.map((p) => p.path).join(' ')).toMatch(field);
}

describe('very short TTLs', () => {
  let redis: RedisServer;
  let app: LockApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'short' }, [ShortJobs]);
  });
  afterAll(async () => {
    await app?.close();
    closeClients();
    await redis?.stop();
  });

  it('a TTL at or below the drift margin (1, 2 ms) is refused at once, naming the field, everywhere', async () => {
    const locks = app.locks;
    const ran: string[] = [];
    const fn = () => void ran.push('ran');
    await expectRefused(() => locks.withLock('short:a', fn, { ttl: 1 }), /^options\.ttl$/);
    await expectRefused(() => locks.withLock('short:a', fn, { expiration: 2 }), /^options\.expiration$/);
    await expectRefused(() => locks.lock('short:a', 2, fn), /options\.expiration/);
    await expectRefused(() => locks.lockReentrant('short:a', '1ms', fn), /options\.expiration/);
    await expectRefused(() => locks.lockWithOptions('short:a', { ttl: 2 }, fn), /options\.ttl/);
    await expectRefused(() => locks.acquire('short:a', 1), /options\.expiration/);
    await expectRefused(() => locks.acquire('short:a', undefined, { ttl: 2 }), /options\.ttl/);
    await expectRefused(() => locks.tryLock('short:a', 2), /options\.expiration/);
    await expectRefused(() => locks.withLocks(['short:a', 'short:b'], fn, { ttl: 1 }), /options\.ttl/);
    await expectRefused(() => locks.tryWithLocks(['short:a', 'short:b'], fn, { ttl: 2 }), /options\.ttl/);
    await expectRefused(async () => app.module.get(ShortJobs).tooShort(), /options\.ttl/);
    expect(() => {
      class AtMost {
        @WithLock('short:at-most', { lockAtMostFor: 2 })
        run(): void {}
      }
      return AtMost;
    }).toThrow(/options\.lockAtMostFor/);
    const handle = await locks.acquire('short:renew', '10s');
    await expectRefused(() => handle.renew(2), /^ttl$/);
    expect(handle.isHeld()).toBe(true);
    await handle.release();
    expect(ran).toEqual([]);
    expect((await locks.inspect('short:a')).held).toBe(false);
  });

  it('a 1 s TTL with the default 2 s command timeout stays allowed', async () => {
    const handle = await app.locks.acquire('short:one-second', '1s');
    expect(handle.isHeld()).toBe(true);
    expect(await handle.release()).toBe(true);
  });

  for (const fair of [false, true]) {
    for (const ttl of [1, 5]) {
      it(`ttl ${ttl} ms, 10 concurrent withLock (fair: ${fair}): never two inside, none on a lost lock`, async () => {
        let inside = 0;
        let maxInside = 0;
        const entries: boolean[] = [];
        const key = `short:race:${fair}:${ttl}`;
        for (let round = 0; round < 3; round++) {
          const results = await Promise.allSettled(
            Array.from({ length: 10 }, () =>
              app.locks.withLock(
                key,
                async (lock) => {
                  entries.push(lock.signal.aborted);
                  inside++;
                  maxInside = Math.max(maxInside, inside);
                  await new Promise((r) => setImmediate(r));
                  inside--;
                },
                { ttl, fair, maxRetries: 5, retryInterval: '1ms' },
              ),
            ),
          );
          for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockError);
          const refused = results.every((r) => r.status === 'rejected' && r.reason instanceof InvalidLockOptionsError);
          if (ttl === 1) expect(refused).toBe(true);
        }
        expect(maxInside).toBeLessThanOrEqual(1);
        // Only microtasks run between the validity check of the reply and the callback's start, so no
        // signal can have aborted. (isHeld() may already say false there when the reply came in the last
        // microseconds of validity: the drift margin is what keeps Redis' own expiry later than that.)
        expect(entries.filter((aborted) => aborted)).toEqual([]);
      });
    }
  }
});

/**
 * A store whose lock-taking and renewing commands reach Redis `delayMs` late (a slow request path):
 * Redis then grants a full TTL that outlives the caller's validity, which counts from the send.
 */
function delayedStore(inner: LockStore, delayMs: number): LockStore {
  const delayed = new Set(['claim', 'acquire', 'acquireFair', 'acquireMany', 'renew', 'renewMany']);
  return new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!delayed.has(String(property))) return value.bind(target);
      return async (...args: unknown[]) => {
        await sleep(delayMs);
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

describe('a grant that arrives after its validity ended', () => {
  const TTL = 150;
  const DELAY = 200;
  let redis: RedisServer;
  let slow: LockApp;
  let direct: LockApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    const store = delayedStore(new RedisLockStore({ client: redis.client(), keyPrefix: 'lynx:lock:' }), DELAY);
    slow = await createLockApp({ name: 'slow', store, instanceId: 'slow' });
    direct = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'direct' });
  });
  afterAll(async () => {
    await slow?.close();
    await direct?.close();
    closeClients();
    await redis?.stop();
  });

  /** Whether `key` is still held in Redis a moment after the slow side gave up (its TTL would keep it 150 ms). */
  async function heldAfterGiveUp(key: string): Promise<boolean> {
    await sleep(30);
    return (await direct.locks.inspect(key)).held;
  }

  for (const fair of [false, true]) {
    it(`tryLock (fair: ${fair}) returns null and gives the lock back`, async () => {
      const key = `late:try:${fair}`;
      expect(await slow.locks.tryLock(key, TTL, { fair })).toBeNull();
      expect(await heldAfterGiveUp(key)).toBe(false);
    });

    it(`acquire and withLock (fair: ${fair}) retry per the strategy, give no handle, run no callback`, async () => {
      const key = `late:wait:${fair}`;
      const options = { fair, maxRetries: 1, retryInterval: '10ms' };
      await expect(slow.locks.acquire(key, TTL, options)).rejects.toBeInstanceOf(LockAcquireTimeoutError);
      expect(await heldAfterGiveUp(key)).toBe(false);
      let ran = false;
      const run = slow.locks.withLock(key, () => void (ran = true), { ...options, ttl: TTL });
      await expect(run).rejects.toBeInstanceOf(LockAcquireTimeoutError);
      expect(ran).toBe(false);
      expect(await heldAfterGiveUp(key)).toBe(false);
    });
  }

  it('withLocks (one atomic script) does not run the callback on a late grant and gives every key back', async () => {
    let ran = false;
    const run = await slow.locks.tryWithLocks(['late:multi:a', 'late:multi:b'], () => void (ran = true), { ttl: TTL });
    expect(run.acquired).toBe(false);
    expect(ran).toBe(false);
    expect(await heldAfterGiveUp('late:multi:a')).toBe(false);
    expect(await heldAfterGiveUp('late:multi:b')).toBe(false);
  });

  it('fair hand-off: a grant whose validity ended before it could be confirmed is given back, not run', async () => {
    const key = 'late:handoff';
    const holder = await direct.locks.acquire(key, '10s', { fair: true });
    let handle: LockHandle | undefined;
    const waiting = slow.locks.acquire(key, TTL, { fair: true, maxRetries: 1, retryInterval: '1500ms' }).then(
      (h) => (handle = h),
      (e: unknown) => e,
    );
    await sleep(3 * DELAY); // the slow side is queued
    expect((await direct.locks.inspect(key)).waiters).toBe(1);
    await holder.release(); // hands the lock to the slow waiter, whose validity counts from its last busy attempt
    const outcome = await waiting;
    expect(handle).toBeUndefined();
    expect(outcome).toBeInstanceOf(LockAcquireTimeoutError);
    expect(await heldAfterGiveUp(key)).toBe(false);
  });
});
