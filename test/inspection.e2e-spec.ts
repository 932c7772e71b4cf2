import 'reflect-metadata';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidLockOptionsError,
  LockLostError,
  LockService,
  RedisLockModule,
  type LockHandle,
  type RedisLockModuleOptions,
} from '@lynx-nest/redis-lock';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { lockValue } from './support/lock-value.js';

class CollectingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(m: unknown) {
    this.lines.push(`log:${m}`);
  }
  error(m: unknown) {
    this.lines.push(`error:${m}`);
  }
  warn(m: unknown) {
    this.lines.push(`warn:${m}`);
  }
  debug(m: unknown) {
    this.lines.push(`debug:${m}`);
  }
  verbose(m: unknown) {
    this.lines.push(`verbose:${m}`);
  }
}

const PREFIX = 'inspect-e2e:';

describe('inspect, list and forceRelease (real Redis)', () => {
  let redis: RedisServer;
  const contexts: INestApplicationContext[] = [];
  const logger = new CollectingLogger();
  let a: LockService; // instance 'api-a', prefix PREFIX
  let c: LockService; // instance 'api-c', same prefix, admin enabled
  let other: LockService; // another prefix on the same server
  const handles: LockHandle[] = [];

  const start = async (options: RedisLockModuleOptions): Promise<LockService> => {
    @Module({
      imports: [
        RedisLockModule.forRoot({
          addrs: [`127.0.0.1:${redis.port}`],
          monitoring: { healthCheckInterval: 0 },
          ...options,
        }),
      ],
    })
    class AppModule {}
    const context = await NestFactory.createApplicationContext(AppModule, { logger });
    contexts.push(context);
    return context.get(LockService);
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    a = await start({ keyPrefix: PREFIX, instanceId: 'api-a' });
    c = await start({ keyPrefix: PREFIX, instanceId: 'api-c', admin: { enabled: true }, name: 'admin' });
    other = await start({ keyPrefix: 'someone-else:', instanceId: 'api-o', name: 'other' });
  });

  afterAll(async () => {
    for (const h of handles) await h.release().catch(() => undefined);
    for (const context of contexts) await context.close();
    await redis?.stop();
  });

  it('inspect reports holder instance, hold count, TTL and fence, never the owner token', async () => {
    const outer = await a.acquire('job:1', '10s');
    handles.push(outer);
    expect((await a.inspect('job:1')).fence).toBeUndefined(); // not minted yet
    const fence = await outer.getFence();
    const info = await a.inspect('job:1');
    expect(info).toMatchObject({
      key: 'job:1',
      held: true,
      owner: 'api-a',
      heldByThisInstance: true,
      holdCount: 1,
      fence,
    });
    expect(info.ttlMs).toBeGreaterThan(8000);
    expect(info.ttlMs).toBeLessThanOrEqual(10_000);
    expect(typeof info.waiters).toBe('number');
    expect(JSON.stringify(info)).not.toContain(outer.getValue());

    // seen from another instance sharing the prefix
    expect(await c.inspect('job:1')).toMatchObject({ held: true, owner: 'api-a', heldByThisInstance: false, fence });
    // a module with another prefix does not see it
    expect(await other.inspect('job:1')).toMatchObject({ held: false, holdCount: 0, ttlMs: -2 });

    // reentrant holds are counted
    await a.withLock('job:2', async () => {
      await a.withLock('job:2', async () => {
        expect(await a.inspect('job:2')).toMatchObject({ held: true, holdCount: 2 });
      });
      expect(await a.inspect('job:2')).toMatchObject({ held: true, holdCount: 1 });
    });
    expect(await a.inspect('job:2')).toMatchObject({
      key: 'job:2',
      held: false,
      holdCount: 0,
      ttlMs: -2,
      heldByThisInstance: false,
    });
    await expect(a.inspect('bad{key}')).rejects.toMatchObject({ code: 'invalid_key' });
  });

  it('list uses only its own prefix, filters by name prefix, is bounded and hides reserved or foreign keys', async () => {
    for (const name of ['job:3', 'job:4', 'mail:1']) handles.push(await a.acquire(name, '10s', { fence: true }));
    handles.push(await other.acquire('job:9', '10s'));
    const raw = redis.client();
    // the health probe's reserved name, and a key this module could not have written
    await raw.set(`${PREFIX}{__lynx_health_probe__}`, lockValue('x:1'), 'PX', 10_000);
    await raw.set(`${PREFIX}{bad{name}`, lockValue('x:1'), 'PX', 10_000);
    await raw.set('unrelated:{job:5}', '1', 'PX', 10_000);

    const jobs = await a.list('job:');
    expect(jobs.map((i) => i.key)).toEqual(['job:1', 'job:3', 'job:4']);
    expect(jobs.every((i) => i.held && i.owner === 'api-a' && i.fence! > 0)).toBe(true);
    expect((await a.list()).map((i) => i.key)).toEqual(['job:1', 'job:3', 'job:4', 'mail:1']);
    // bounded: two of the four (which two depends on SCAN order), sorted, reserved and foreign keys skipped
    const two = (await a.list('', 2)).map((i) => i.key);
    expect(two).toHaveLength(2);
    expect(two).toEqual([...two].sort());
    for (const key of two) expect(['job:1', 'job:3', 'job:4', 'mail:1']).toContain(key);
    expect((await a.list('', 1)).length).toBe(1);
    expect((await other.list()).map((i) => i.key)).toEqual(['job:9']);
    expect(await a.list('nothing-here:')).toEqual([]);
    expect(JSON.stringify(await a.list())).not.toContain(handles[0].getValue());

    await expect(a.list('', 0)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(a.list('', 1001)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(a.list('{x}')).rejects.toBeInstanceOf(InvalidLockOptionsError);
    raw.disconnect();
  });

  it('forceRelease is refused unless admin.enabled, and always logged', async () => {
    await expect(a.forceRelease('job:1')).rejects.toBeInstanceOf(InvalidLockOptionsError);
    expect(logger.lines).toContainEqual(expect.stringMatching(/^warn:forceRelease\("job:1"\) refused/));
    expect((await a.inspect('job:1')).held).toBe(true);

    const victim = handles[0];
    expect(await c.forceRelease('job:1')).toBe(true);
    expect(logger.lines).toContainEqual('warn:forceRelease("job:1"): deleted');
    expect((await c.inspect('job:1')).held).toBe(false);
    // the former holder finds out at its next renewal
    await expect(victim.renew()).rejects.toBeInstanceOf(LockLostError);
    expect(victim.isHeld()).toBe(false);
    expect(await c.forceRelease('job:1')).toBe(false);
    expect(logger.lines).toContainEqual('warn:forceRelease("job:1"): was not held');
    // waiters are woken at once by the release message
    const holder = await a.acquire('job:6', '30s');
    const started = Date.now();
    const waiter = c.acquire('job:6', '5s', { maxRetries: 1, retryStrategy: { type: 'fixed', initialInterval: 3000 } });
    setTimeout(() => void c.forceRelease('job:6'), 100);
    const got = await waiter;
    expect(Date.now() - started).toBeLessThan(2500);
    await got.release();
    await holder.release();
  });

  it('inspect and list read-write locks and semaphores: readers, writer, permits, waiters, holders by instance id', async () => {
    const readA = await a.acquire('shared:1', '10s', { mode: 'read' });
    const readC = await c.acquire('shared:1', '10s', { mode: 'read' });
    handles.push(readA, readC);
    // a writer queues behind the two readers (fair, writer-preferring)
    const writer = a.acquire('shared:1', '10s', { mode: 'write', maxRetries: -1, maxElapsedTime: '10s' });
    await expect.poll(async () => (await c.inspect('shared:1', 'read-write')).waiters).toBe(1);
    const rw = await c.inspect('shared:1', 'read-write');
    expect(rw).toMatchObject({
      key: 'shared:1',
      kind: 'read-write',
      held: true,
      readers: 2,
      writer: false,
      waiters: 1,
      heldByThisInstance: true,
      holdCount: 2,
    });
    expect(rw.owner).toBeUndefined(); // two instances read
    expect(rw.holders.map((h) => [h.owner, h.thisInstance, h.count]).sort()).toEqual([
      ['api-a', false, 1],
      ['api-c', true, 1],
    ]);
    expect(rw.ttlMs).toBeGreaterThan(8000);
    expect(JSON.stringify(rw)).not.toContain(readA.getValue());
    expect(JSON.stringify(rw)).not.toContain(readC.getValue());
    await readA.release();
    await readC.release();
    const written = await writer;
    handles.push(written);
    expect(await a.inspect('shared:1', 'read-write')).toMatchObject({
      readers: 0,
      writer: true,
      owner: 'api-a',
      heldByThisInstance: true,
      waiters: 0,
      fence: written.fence,
    });

    const api = a.semaphore('shared:1', { permits: 3 });
    const two = await api.acquire(2, { ttl: '10s' });
    handles.push(two);
    const sem = await c.inspect('shared:1', 'semaphore');
    expect(sem).toMatchObject({
      kind: 'semaphore',
      held: true,
      owner: 'api-a',
      permits: { limit: 3, used: 2, free: 1 },
    });
    expect(sem.holders).toEqual([
      { owner: 'api-a', thisInstance: false, count: 2, holds: 1, ttlMs: expect.any(Number), fence: two.fence },
    ]);
    expect(JSON.stringify(sem)).not.toContain(two.getValue());

    // list: every kind of the name, sorted by name then kind; mutexes of other names around it
    const mutex = await a.acquire('shared:1', '10s');
    handles.push(mutex);
    const listed = await c.list('shared:');
    expect(listed.map((i) => i.kind)).toEqual(['mutex', 'read-write', 'semaphore']);
    expect(JSON.stringify(listed)).not.toMatch(new RegExp([mutex, written, two].map((h) => h.getValue()).join('|')));
    expect((await c.list('shared:', 2)).map((i) => i.kind)).toEqual(['mutex', 'read-write']);
    expect((await other.list('shared:')).length).toBe(0); // another prefix sees none of them
    await Promise.all([mutex.release(), written.release(), two.release()]);
    expect(await c.list('shared:')).toEqual([]);
    expect(await a.inspect('shared:1', 'semaphore')).toMatchObject({ held: false, ttlMs: -2, holders: [] });
  });
});
