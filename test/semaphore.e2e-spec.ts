import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Injectable } from '@nestjs/common';
import {
  currentLock,
  InvalidLockOptionsError,
  LockAcquireTimeoutError,
  LockService,
  WithSemaphore,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { sleep, until } from './support/until.js';

const run = randomBytes(3).toString('hex');
let counter = 0;
const key = (label: string) => `sem:${run}:${label}:${++counter}`;

@Injectable()
class Partner {
  inside = 0;
  max = 0;
  @WithSemaphore('partner:{0}', { permits: 2 })
  async call(_id: string): Promise<number> {
    this.inside++;
    this.max = Math.max(this.max, this.inside);
    await sleep(20);
    this.inside--;
    return currentLock()!.permits;
  }
  @WithSemaphore('partner:{0}', { permits: 2, count: 2, onLocked: 'throw' })
  async bulk(id: string): Promise<string> {
    return `bulk ${id} as ${currentLock()!.kind}`;
  }
}

describe('semaphores (LockService, real Redis)', () => {
  let redis: RedisServer;
  let app: LockApp;
  let locks: LockService;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] }, [Partner]);
    locks = app.locks;
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('never more than `permits` holders at once, and all of them in use', async () => {
    const sem = locks.semaphore(key('limit'), { permits: 3 });
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        sem.withPermits(
          1,
          async () => {
            inside++;
            max = Math.max(max, inside);
            await sleep(25);
            inside--;
          },
          { maxElapsedTime: '20s', maxRetries: -1 },
        ),
      ),
    );
    expect(max).toBe(3);
  });

  it('a request for several permits is served in its turn, not overtaken by later single ones', async () => {
    const sem = locks.semaphore(key('turn'), { permits: 4 });
    const first = await sem.acquire(3, { ttl: '10s' });
    const order: string[] = [];
    const two = sem.withPermits(2, () => order.push('two'), { maxElapsedTime: '10s' });
    await sleep(100);
    const one = sem.withPermits(1, () => order.push('one'), { maxElapsedTime: '10s' });
    await sleep(150);
    expect(order).toEqual([]); // one permit is free, but "two" is ahead of "one"
    expect(await sem.available()).toBe(1);
    await first.release();
    await Promise.all([two, one]);
    expect(order[0]).toBe('two');
    expect(order).toContain('one');
  });

  it('tryAcquire never waits; available() reports the free permits; fences increase', async () => {
    const sem = locks.semaphore(key('try'), { permits: 2 });
    expect(await sem.available()).toBe(2);
    const a = await sem.tryAcquire(1, { ttl: '5s' });
    const b = await sem.tryAcquire(1, { ttl: '5s' });
    expect(a?.kind).toBe('semaphore');
    expect(await sem.tryAcquire(1)).toBeNull();
    expect(await sem.available()).toBe(0);
    expect(b!.fence!).toBeGreaterThan(a!.fence!);
    await a!.release();
    await b!.release();
    expect(await sem.available()).toBe(2);
  });

  it('a holder that never releases gives its permits back when its TTL runs out', async () => {
    const sem = locks.semaphore(key('dead'), { permits: 1 });
    await sem.acquire(1, { ttl: 300 }); // never released, not renewed: as if its process died
    const started = Date.now();
    const next = await sem.acquire(1, { ttl: '5s', maxElapsedTime: '5s' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(150);
    expect(waited).toBeLessThan(4000);
    await next.release();
  });

  it('raising the limit admits waiters; lowering it admits nobody new until holders are under it', async () => {
    const name = key('limit-change');
    const two = locks.semaphore(name, { permits: 2 });
    const held = [await two.acquire(1, { ttl: '5s' }), await two.acquire(1, { ttl: '5s' })];
    expect(await two.tryAcquire()).toBeNull();
    const three = locks.semaphore(name, { permits: 3 });
    const extra = await three.tryAcquire(1, { ttl: '5s' });
    expect(extra).not.toBeNull();
    const one = locks.semaphore(name, { permits: 1 });
    await extra!.release();
    await held[0].release();
    expect(await one.tryAcquire()).toBeNull(); // one still held, the limit is now 1
    await held[1].release();
    const last = await one.tryAcquire(1, { ttl: '5s' });
    expect(last).not.toBeNull();
    await last!.release();
  });

  it('bad permits or count are typed errors naming the field', async () => {
    expect(() => locks.semaphore(key('bad'), { permits: 0 })).toThrow(InvalidLockOptionsError);
    expect(() => locks.semaphore(key('bad'), { permits: 1.5 })).toThrow(/permits/);
    const sem = locks.semaphore(key('bad'), { permits: 2 });
    await expect(sem.acquire(3)).rejects.toThrow(/count/);
    await expect(sem.tryAcquire(0)).rejects.toBeInstanceOf(InvalidLockOptionsError);
  });

  it('@WithSemaphore limits concurrent calls and throws when full with onLocked: throw', async () => {
    const partner = app.module.get(Partner);
    const results = await Promise.all(Array.from({ length: 6 }, () => partner.call('x')));
    expect(partner.max).toBe(2);
    expect(results).toEqual([1, 1, 1, 1, 1, 1]);
    const sem = locks.semaphore('partner:y', { permits: 2 });
    const holder = await sem.acquire(1, { ttl: '5s' });
    await expect(partner.bulk('y')).rejects.toBeInstanceOf(LockAcquireTimeoutError);
    await holder.release();
    expect(await partner.bulk('y')).toBe('bulk y as semaphore');
    await until(async () => (await sem.available()) === 2);
  });
});
