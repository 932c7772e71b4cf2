import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Injectable } from '@nestjs/common';
import {
  currentLock,
  DeadlockError,
  InvalidLockOptionsError,
  LockService,
  WithLock,
  type LockHandle,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { sleep, until } from './support/until.js';

const run = randomBytes(3).toString('hex');
let counter = 0;
const key = (label: string) => `rw:${run}:${label}:${++counter}`;

/** Counts who is inside, and remembers the worst overlap seen. */
class Occupancy {
  readers = 0;
  writers = 0;
  maxReaders = 0;
  violations = 0;
  enter(mode: 'read' | 'write'): void {
    if (mode === 'read') this.readers++;
    else this.writers++;
    this.maxReaders = Math.max(this.maxReaders, this.readers);
    if (this.writers > 1 || (this.writers === 1 && this.readers > 0)) this.violations++;
  }
  leave(mode: 'read' | 'write'): void {
    if (mode === 'read') this.readers--;
    else this.writers--;
  }
}

@Injectable()
class Catalog {
  kinds: string[] = [];
  @WithLock('catalog:{0}', { mode: 'read' })
  async read(id: string): Promise<string> {
    this.kinds.push(currentLock()!.kind);
    return `read ${id}`;
  }
  @WithLock('catalog:{0}', { mode: 'write', onLocked: 'skip' })
  async write(id: string): Promise<string> {
    this.kinds.push(currentLock()!.kind);
    return `wrote ${id}`;
  }
}

describe('read-write locks (LockService, real Redis)', () => {
  let redis: RedisServer;
  let app: LockApp;
  let locks: LockService;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] }, [Catalog]);
    locks = app.locks;
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('readers share the lock; a writer excludes readers and other writers', async () => {
    const name = key('share');
    const seen = new Occupancy();
    const section = (mode: 'read' | 'write') => async () => {
      seen.enter(mode);
      await sleep(mode === 'read' ? 30 : 10);
      seen.leave(mode);
    };
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      jobs.push(
        i % 4 === 3
          ? locks.withWriteLock(name, section('write'), { maxElapsedTime: '20s', maxRetries: -1 })
          : locks.withReadLock(name, section('read'), { maxElapsedTime: '20s', maxRetries: -1 }),
      );
    }
    await Promise.all(jobs);
    expect(seen.violations).toBe(0);
    expect(seen.maxReaders).toBeGreaterThan(1);
  });

  it('is writer-preferring: a reader that comes after a waiting writer goes after it', async () => {
    const name = key('prefer');
    const order: string[] = [];
    const first = await locks.acquire(name, '10s', { mode: 'read' });
    const writer = locks.withWriteLock(name, () => order.push('writer'), { maxElapsedTime: '10s' });
    await sleep(100); // the writer has queued behind the reader by now (it waits, it does not poll)
    const reader = locks.withReadLock(name, () => order.push('late reader'), { maxElapsedTime: '10s' });
    await sleep(100);
    expect(order).toEqual([]); // the late reader did not join the first one
    await first.release();
    await Promise.all([writer, reader]);
    expect(order).toEqual(['writer', 'late reader']);
  });

  it("a writer's release admits the run of queued readers together, and stops at the next writer", async () => {
    const name = key('run');
    const writer = await locks.acquire(name, '10s', { mode: 'write' });
    const seen = new Occupancy();
    const inside: string[] = [];
    const reader = (id: string) =>
      locks.withReadLock(
        name,
        async () => {
          seen.enter('read');
          inside.push(id);
          await until(() => seen.maxReaders >= 3, 5000).catch(() => undefined); // wait for the others
          seen.leave('read');
        },
        { maxElapsedTime: '10s' },
      );
    const readers = [reader('r1'), reader('r2'), reader('r3')];
    await sleep(150);
    const next = locks.withWriteLock(name, () => inside.push('w2'), { maxElapsedTime: '10s' });
    await sleep(100);
    expect(inside).toEqual([]);
    await writer.release();
    await Promise.all([...readers, next]);
    expect(seen.maxReaders).toBe(3); // all three held at once
    expect(inside.slice(0, 3).sort()).toEqual(['r1', 'r2', 'r3']);
    expect(inside[3]).toBe('w2');
  });

  it('reentrancy: read inside read and read inside write are holds; write inside read fails at once', async () => {
    const name = key('reentrant');
    await locks.withReadLock(name, async (outer) => {
      await locks.withReadLock(name, async (inner) => {
        expect(inner.kind).toBe('read');
        expect(inner.holdCount).toBe(2);
        expect(inner.fence).toBe(outer.fence);
      });
      const started = Date.now();
      await expect(locks.withWriteLock(name, () => 'never')).rejects.toBeInstanceOf(DeadlockError);
      expect(Date.now() - started).toBeLessThan(1000); // refused, not waited for
    });
    await locks.withWriteLock(name, async (outer) => {
      await locks.withReadLock(name, async (inner) => {
        expect(inner.kind).toBe('write'); // a hold of the write
        expect(inner.holdCount).toBe(2);
        expect(inner.fence).toBe(outer.fence);
      });
      await locks.withWriteLock(name, async (inner) => expect(inner.holdCount).toBe(2));
    });
    const writer = await locks.tryLock(name, '5s', { mode: 'write' });
    expect(writer?.kind).toBe('write'); // every hold was released
    await writer!.release();
  });

  it('a mutex and a read-write lock of the same name are independent', async () => {
    const name = key('independent');
    await locks.withLock(name, async () => {
      const reader = await locks.tryLock(name, '5s', { mode: 'read' });
      expect(reader?.kind).toBe('read');
      await reader!.release();
    });
  });

  it("fencing: each writer's token is above every earlier one; readers share the current token", async () => {
    const name = key('fence');
    const w1 = await locks.withWriteLock(name, (lock) => lock.getFence());
    const r1 = await locks.withReadLock(name, (lock) => lock.getFence());
    const [ra, rb] = await Promise.all([
      locks.withReadLock(name, async (lock) => {
        await sleep(20);
        return lock.fence!;
      }),
      locks.withReadLock(name, async (lock) => {
        await sleep(20);
        return lock.fence!;
      }),
    ]);
    const w2 = await locks.withWriteLock(name, (lock) => lock.getFence());
    expect(r1).toBeGreaterThanOrEqual(w1);
    expect(ra).toBe(rb);
    expect(w2).toBeGreaterThan(Math.max(w1, r1, ra));
  });

  it('tryLock in write mode is null while a reader holds; mode is validated', async () => {
    const name = key('try');
    const reader = await locks.acquire(name, '5s', { mode: 'read' });
    expect(await locks.tryLock(name, '5s', { mode: 'write' })).toBeNull();
    const second = await locks.tryLock(name, '5s', { mode: 'read' });
    expect(second).not.toBeNull();
    await second!.release();
    await reader.release();
    await expect(locks.tryLock(name, '5s', { mode: 'exclusive' as 'write' })).rejects.toMatchObject({
      name: InvalidLockOptionsError.name,
      message: expect.stringContaining('options.mode'),
    });
    await expect(locks.withLocks([name, `${name}:b`], () => 1, { mode: 'read' })).rejects.toBeInstanceOf(
      InvalidLockOptionsError,
    );
  });

  it('a holding renews, and signals its loss when Redis no longer has it', async () => {
    const name = key('lost');
    const client = redis.client();
    let lost: LockHandle | undefined;
    await locks.withReadLock(
      name,
      async (lock) => {
        lost = lock;
        await sleep(1000); // several renewals of a 400 ms TTL
        expect(lock.isHeld()).toBe(true);
        const holders = (await client.keys(`*{${name}}:rw*`)).filter((k) => !k.endsWith(':fence'));
        await client.del(...holders);
        await until(() => lock.signal.aborted, 3000);
      },
      { ttl: 400 },
    );
    expect(lost!.signal.reason).toMatchObject({ reason: 'refused' });
    client.disconnect();
  });

  it('@WithLock(key, { mode }) takes the read-write lock', async () => {
    const catalog = app.module.get(Catalog);
    expect(await catalog.read('a')).toBe('read a');
    const reader = await locks.acquire('catalog:b', '5s', { mode: 'read' });
    expect(await catalog.write('b')).toBeUndefined(); // skipped: a reader holds it
    await reader.release();
    expect(await catalog.write('b')).toBe('wrote b');
    expect(catalog.kinds).toEqual(['read', 'write']);
  });
});
