import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Param, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentLock,
  getLockServiceToken,
  InvalidLockKeyError,
  InvalidLockOptionsError,
  LockAcquireTimeoutError,
  LockService,
  RedisLockModule,
  WithLock,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { runTsWorker } from './support/run-worker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class Items {
  active = 0;
  maxActive = 0;
  @WithLock('item:{0}', { ttl: '5s', maxRetries: -1, maxElapsedTime: '20s', retryInterval: '5ms' })
  async touch(id: string, holdMs: number): Promise<string> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await sleep(holdMs);
    this.active--;
    return id;
  }

  @WithLock('order:{0.id}:{1.profile.id}')
  async keyed(_order: { id: number }, _user: { profile?: { id: string } }): Promise<string | undefined> {
    return currentLock()?.getKey();
  }

  @WithLock((a: { x: number }, b: number) => `fn:${a.x + b}`, { name: 'Items.fn', fence: true })
  async byFunction(
    this: Items,
    _a: { x: number },
    _b: number,
  ): Promise<{ self: boolean; key?: string; fence?: number }> {
    const lock = currentLock();
    return { self: this instanceof Items, key: lock?.getKey(), fence: lock?.fence };
  }

  @WithLock('boom')
  async boom(): Promise<never> {
    throw new RangeError('original error');
  }

  @WithLock('job:skip', { onLocked: 'skip' })
  async skipping(): Promise<string> {
    return 'ran';
  }

  @WithLock('job:throw', { onLocked: 'throw' })
  async throwing(): Promise<string> {
    return 'ran';
  }

  @WithLock('reenter:{0}')
  async outer(id: string): Promise<number> {
    return this.inner(id);
  }

  @WithLock('reenter:{0}')
  async inner(_id: string): Promise<number> {
    return currentLock()!.holdCount;
  }

  @WithLock('short:{0}', { lockAtLeastFor: '800ms', lockAtMostFor: '5s' })
  async fast(_id: string): Promise<number> {
    return currentLock()!.getFence();
  }

  @WithLock(['pair:{0}', 'pair:{1}'])
  async pair(a: string, b: string): Promise<string[]> {
    return [a, b];
  }
}

describe('@WithLock', () => {
  let redis: RedisServer;
  let app: LockApp;
  let items: Items;
  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], keyPrefix: 'wl:' }, [Items]);
    items = app.module.get(Items);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('keeps this, arguments, result and errors; exposes the lock through currentLock()', async () => {
    const result = await items.byFunction({ x: 1 }, 2);
    expect(result.self).toBe(true);
    expect(result.key).toBe('fn:3');
    expect(result.fence).toBeGreaterThan(0); // `fence: true`: minted in the acquire, known at once
    await expect(items.boom()).rejects.toThrow(RangeError);
    await expect(items.boom()).rejects.toThrow('original error');
    expect(await items.keyed({ id: 7 }, { profile: { id: 'u1' } })).toBe('order:7:u1');
    expect((await app.locks.inspect('fn:3')).held).toBe(false);
  });

  it('a template that reads a missing path fails with an error naming the template and the argument', async () => {
    const error = await items.keyed({ id: 7 }, {}).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidLockKeyError);
    expect(error.message).toContain('order:{0.id}:{1.profile.id}');
    expect(error.message).toContain('argument 1.profile is undefined');
    const tooFew = (await (items.keyed as (...a: unknown[]) => Promise<unknown>)({ id: 1 }).catch(
      (e: Error) => e,
    )) as Error;
    expect(tooFew.message).toContain('called with 1 argument');
  });

  it('serialises calls for one item and runs different items in parallel', async () => {
    items.maxActive = 0;
    await Promise.all(Array.from({ length: 6 }, () => items.touch('same', 10)));
    expect(items.maxActive).toBe(1);
    items.maxActive = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => items.touch(`other-${i}`, 50)));
    expect(items.maxActive).toBeGreaterThan(1);
  });

  it("onLocked 'skip' returns undefined without running and emits skipped; 'throw' rejects at once", async () => {
    const skipped: string[] = [];
    app.locks.events.on('skipped', (e) => skipped.push(`${e.name}|${e.key}`));
    const held = await app.locks.acquire('job:skip', '5s');
    const before = app.locks.getStatistics().totalSkipped;
    expect(await items.skipping()).toBeUndefined();
    expect(app.locks.getStatistics().totalSkipped).toBe(before + 1);
    expect(skipped).toEqual(['Items.skipping|job:skip']);
    await held.release();
    expect(await items.skipping()).toBe('ran');

    const other = await app.locks.acquire('job:throw', '5s');
    const started = performance.now();
    const error = await items.throwing().catch((e) => e);
    expect(error).toBeInstanceOf(LockAcquireTimeoutError);
    expect(error.key).toBe('job:throw');
    expect(error.attempts).toBe(1);
    console.log(`onLocked 'throw' rejected after ${(performance.now() - started).toFixed(1)} ms`);
    await other.release();
    expect(await items.throwing()).toBe('ran');
  });

  it('is reentrant within the call tree by default', async () => {
    expect(await items.outer('r1')).toBe(2);
  });

  it('lockAtLeastFor keeps the lock after a fast run; lockAtMostFor sets the TTL', async () => {
    await items.fast('s1');
    const info = await app.locks.inspect('short:s1');
    expect(info.held).toBe(true); // still taken after the method returned
    expect(info.ttlMs).toBeGreaterThan(0);
    expect(info.ttlMs).toBeLessThanOrEqual(800);
    expect(await app.locks.tryLock('short:s1', '1s')).toBeNull();
    await sleep(info.ttlMs + 50);
    expect((await app.locks.inspect('short:s1')).held).toBe(false);
  });

  it('takes several keys all or none', async () => {
    const b = await app.locks.acquire('pair:b', '5s');
    const call = items.pair('a', 'b');
    await sleep(50);
    expect((await app.locks.inspect('pair:a')).held).toBe(false); // nothing held while it waits
    await b.release();
    expect(await call).toEqual(['a', 'b']);
  });

  it('rejects bad decorator options when the class is defined', () => {
    expect(() => {
      class Bad {
        @WithLock('x', { onLocked: 'later' as never, lockAtLeastFor: '10s', lockAtMostFor: '1s' })
        async run() {}
      }
      return Bad;
    }).toThrow(InvalidLockOptionsError);
    expect(() => WithLock('a{0')).toThrow(/without a matching/);
    expect(() => WithLock('a:{x}')).toThrow(/invalid placeholder/);
  });
});

describe('@WithLock without a module, and with named instances', () => {
  it('throws an error that says how to fix a missing LockService', async () => {
    class Lonely {
      @WithLock('lonely', { lockService: 'nowhere' })
      async run() {
        return 1;
      }
    }
    const error = await new Lonely().run().catch((e) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect(error.message).toContain('no LockService named "nowhere"');
    expect(error.message).toContain("RedisLockModule.forRoot({...}) with { name: 'nowhere' }");
  });

  it('selects a named module instance; two instances coexist', async () => {
    const redis = await startRedisServer();
    try {
      @Injectable()
      class Jobs {
        @WithLock('job', { lockService: 'second' })
        async second() {
          return currentLock()!.getKey();
        }
      }
      const module = await Test.createTestingModule({
        imports: [
          RedisLockModule.forRoot({
            addrs: [`127.0.0.1:${redis.port}`],
            keyPrefix: 'one:',
            monitoring: { healthCheckInterval: 0 },
          }),
          RedisLockModule.forRoot({
            name: 'second',
            addrs: [`127.0.0.1:${redis.port}`],
            keyPrefix: 'two:',
            monitoring: { healthCheckInterval: 0 },
          }),
        ],
        providers: [Jobs],
      }).compile();
      await module.init();
      try {
        const first = module.get<LockService>(getLockServiceToken());
        const second = module.get<LockService>(getLockServiceToken('second'));
        expect(first).toBeInstanceOf(LockService);
        expect(second).toBeInstanceOf(LockService);
        expect(second).not.toBe(first);
        expect(second.config.name).toBe('second');
        expect(first.config.name).toBe('default');
        expect(await module.get(Jobs).second()).toBe('job');
        const client = redis.client();
        const seen: string[] = [];
        await second.withLock('probe', async () => void seen.push(...(await client.keys('*'))));
        expect(seen).toContain('two:{probe}');
        client.disconnect();
      } finally {
        await module.close();
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('@WithLock stacked with other decorators', () => {
  class Plain {
    @Cron('*/1 * * * * *', { name: 'plain' })
    async job() {}
    @Get(':id')
    async route(@Param('id') id: string) {
      return id;
    }
  }

  let redis: RedisServer;
  let app: INestApplication;
  const runs: number[] = [];

  @Injectable()
  class Scheduled {
    @Cron('* * * * * *', { name: 'locked-cron' })
    @WithLock('cron:stacked')
    async job() {
      runs.push(await currentLock()!.getFence());
    }
  }

  @Controller('items')
  class ItemsController {
    @WithLock('route:{0}')
    @Get(':id')
    async route(@Param('id') id: string) {
      return { id, key: currentLock()?.getKey() };
    }
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    @Module({
      imports: [
        RedisLockModule.forRoot({ addrs: [`127.0.0.1:${redis.port}`], monitoring: { healthCheckInterval: 0 } }),
        ScheduleModule.forRoot(),
      ],
      providers: [Scheduled],
      controllers: [ItemsController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('keeps every metadata key of the original method', () => {
    const keys = (target: object, name: string) =>
      Reflect.getMetadataKeys((target as Record<string, object>)[name])
        .map(String)
        .sort();
    expect(keys(Scheduled.prototype, 'job')).toEqual(keys(Plain.prototype, 'job'));
    expect(keys(ItemsController.prototype, 'route')).toEqual(keys(Plain.prototype, 'route'));
    expect(keys(ItemsController.prototype, 'route').length).toBeGreaterThan(0);
    expect(Reflect.getMetadata('design:paramtypes', ItemsController.prototype, 'route')).toEqual([String]);
  });

  it('a @Cron method still runs on schedule, under its lock', async () => {
    expect(app.get(SchedulerRegistry).getCronJob('locked-cron')).toBeDefined();
    const deadline = Date.now() + 3000;
    while (runs.length < 1 && Date.now() < deadline) await sleep(50);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0]).toBeGreaterThan(0);
  });

  it('a controller route still answers, under its lock', async () => {
    const url = await app.getUrl();
    const response = await fetch(`${url.replace('[::1]', '127.0.0.1')}/items/42`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: '42', key: 'route:42' });
  });
});

describe('@WithLock across two processes', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('200 concurrent read-modify-write calls from two app instances give the exact total', async () => {
    const task = { mode: 'increment', port: redis.port, prefix: 'rmw:', calls: 100, item: 'i1' };
    type Increments = { done: number; failures: string[] };
    const worker = () => runTsWorker<Increments>('test/support/with-lock.worker.ts', task);
    const results = await Promise.all([worker(), worker()]);
    expect(results.map((r) => r.failures)).toEqual([[], []]);
    expect(results.map((r) => r.done)).toEqual([100, 100]);
    const client = redis.client();
    expect(Number(await client.get('rmw:count:i1'))).toBe(200);
    client.disconnect();
  });
});
