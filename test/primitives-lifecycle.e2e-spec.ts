import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import { LockService, type LockHandle } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { createLockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { sleep, until } from './support/until.js';

const run = randomBytes(3).toString('hex');
let counter = 0;
const key = (label: string) => `life:${run}:${label}:${++counter}`;

describe('read-write locks and semaphores on LockTestingModule (memory store, no Redis)', () => {
  it('readers share, a writer excludes, a semaphore admits at most its permits', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [LockTestingModule.forRoot()] }).compile();
    await moduleRef.init();
    const locks = moduleRef.get(LockService);
    let readers = 0;
    let maxReaders = 0;
    let writerWithOthers = 0;
    let writing = false;
    const read = () =>
      locks.withReadLock('doc', async () => {
        readers++;
        maxReaders = Math.max(maxReaders, readers);
        if (writing) writerWithOthers++;
        await sleep(10);
        readers--;
      });
    const write = () =>
      locks.withWriteLock('doc', async () => {
        if (readers > 0 || writing) writerWithOthers++;
        writing = true;
        await sleep(5);
        writing = false;
      });
    await Promise.all([read(), read(), write(), read(), write(), read()]);
    expect(writerWithOthers).toBe(0);
    expect(maxReaders).toBeGreaterThan(1);

    const sem = locks.semaphore('slots', { permits: 2 });
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        sem.withPermits(1, async () => {
          inside++;
          max = Math.max(max, inside);
          await sleep(5);
          inside--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(await sem.available()).toBe(2);
    await moduleRef.close();
  });
});

describe('read-write locks and semaphores: maxHoldTime, renewal and shutdown (real Redis)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('a read lock renews past its TTL, and is reported lost at maxHoldTime', async () => {
    const app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] });
    const lost: string[] = [];
    app.locks.events.on('lost', (e) => lost.push(`${e.kind}:${e.reason}`));
    const name = key('max-hold');
    let handle: LockHandle | undefined;
    await app.locks.withReadLock(
      name,
      async (lock) => {
        handle = lock;
        await sleep(900); // more than twice the TTL: renewed meanwhile
        expect(lock.isHeld()).toBe(true);
        await until(() => lock.signal.aborted, 5000); // renewal stops at maxHoldTime, then the TTL runs out
      },
      { ttl: 400, maxHoldTime: 1200 },
    );
    expect(handle!.signal.reason).toMatchObject({ reason: 'max_hold_time' });
    expect(lost).toContain('read:max_hold_time');
    await app.close();
  });

  it('a semaphore holding renews while held; manual handles renew with renewalEnabled', async () => {
    const app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] });
    const sem = app.locks.semaphore(key('renew'), { permits: 1 });
    const held = await sem.acquire(1, { ttl: 400, renewalEnabled: true });
    await sleep(1000);
    expect(held.isHeld()).toBe(true);
    expect(await sem.tryAcquire()).toBeNull(); // still taken in Redis
    expect(await held.getExpiration()).toBeGreaterThan(0);
    expect(await held.release()).toBe(true);
    await app.close();
  });

  it('shutdown waits for running sections and gives back every read lock and permit it still holds', async () => {
    const app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], shutdown: { gracePeriod: '2s' } });
    const other = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] });
    const rw = key('drain-rw');
    const semName = key('drain-sem');
    let finished = false;
    let entered = false;
    const section = app.locks.withReadLock(rw, async () => {
      entered = true;
      await sleep(200);
      finished = true;
    });
    const leaked = await app.locks.semaphore(semName, { permits: 1 }).acquire(1, { ttl: '30s' }); // never released by the app
    await until(() => entered);
    await app.close();
    await section;
    expect(finished).toBe(true); // the running section was allowed to finish
    expect(leaked.isHeld()).toBe(false);
    const writer = await other.locks.tryLock(rw, '5s', { mode: 'write' });
    expect(writer).not.toBeNull(); // the read lock was released at shutdown, not left to its TTL
    await writer!.release();
    const permit = await other.locks.semaphore(semName, { permits: 1 }).tryAcquire(1, { ttl: '5s' });
    expect(permit).not.toBeNull(); // so was the permit of the manual handle
    await permit!.release();
    await other.close();
  });
});
