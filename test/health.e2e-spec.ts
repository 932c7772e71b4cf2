import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockService, MemoryLockStore, RedisLockModule } from '@lynx-nest/redis-lock';
import { RedisLockHealthIndicator, RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CapturingLogger } from './support/capturing-logger.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { eventually, LockHealthController } from './support/terminus-health.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Terminus' JSON reply, with the indicator fields this test reads. */
type HealthBody = {
  status: string;
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
};

describe('Terminus health of a Nest app (real Redis)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let base: string;
  const logger = new CapturingLogger();
  const health = async () => {
    const response = await fetch(`${base}/health`);
    return { status: response.status, body: (await response.json()) as HealthBody };
  };
  const messages = () => logger.lines.filter((l) => l.context === 'RedisLock').map((l) => `${l.level}:${l.message}`);

  beforeAll(async () => {
    redis = await startRedisServer();
    @Module({
      imports: [
        TerminusModule,
        RedisLockModule.forRoot({
          addrs: [`127.0.0.1:${redis.port}`],
          lock: { commandTimeout: '300ms' },
          monitoring: { healthCheckInterval: '100ms' },
        }),
        RedisLockHealthModule,
      ],
      controllers: [LockHealthController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('is 200 with Redis up, 503 with it stopped and 200 again after a restart, without restarting the app', async () => {
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.info['redis-lock']).toMatchObject({
      status: 'up',
      store: 'redis',
      probe: 'ok',
      scriptsLoaded: true,
      warnings: [],
    });
    expect(typeof up.body.info['redis-lock'].latencyMs).toBe('number');

    await redis.kill();
    const started = Date.now();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error['redis-lock']).toMatchObject({ status: 'down', probe: 'failed' });
    expect(down.body.error['redis-lock'].reason).toEqual(expect.any(String));
    expect(Date.now() - started).toBeLessThan(5000); // bounded by the command timeout, never a hang
    // the periodic probe (every 100 ms) notices too
    expect(await eventually(async () => messages().some((m) => m.startsWith('warn:Lock backend is DOWN')), 3000)).toBe(
      true,
    );

    await redis.restart(); // a fresh server: the Lua scripts are gone too
    expect(await eventually(async () => (await health()).status === 200, 8000)).toBe(true);
    const again = await health();
    expect(again.body.info['redis-lock']).toMatchObject({ status: 'up', probe: 'ok', scriptsLoaded: true });
    expect(await app.get(LockService).withLock('after-restart', () => 'ok')).toBe('ok');
  });

  it('logs the periodic probe’s state changes once each', async () => {
    expect(
      await eventually(async () => messages().some((m) => m.startsWith('warn:Lock backend is UP again')), 3000),
    ).toBe(true);
    const downs = messages().filter((m) => m.startsWith('warn:Lock backend is DOWN'));
    const ups = messages().filter((m) => m.startsWith('warn:Lock backend is UP again'));
    expect(downs.length).toBe(1);
    expect(ups.length).toBe(1);
    await sleep(300); // more probes, no more lines while the state stays the same
    expect(messages().filter((m) => m.includes('Lock backend is')).length).toBe(2);
  });
});

describe('RedisLockHealthIndicator', () => {
  it('reports a check that outlives its timeout as down instead of hanging', async () => {
    const store = new MemoryLockStore();
    store.ping = () => new Promise(() => undefined); // never answers
    const { Test } = await import('@nestjs/testing');
    const module = await Test.createTestingModule({
      imports: [RedisLockModule.forRoot({ store, monitoring: { healthCheckInterval: 0 } })],
      providers: [HealthIndicatorService, RedisLockHealthIndicator],
    }).compile();
    await module.init();
    try {
      const indicator = module.get(RedisLockHealthIndicator);
      const result = await indicator.isHealthy('locks', { timeout: 50 });
      expect(result.locks).toMatchObject({ status: 'down', probe: 'failed', store: 'memory' });
      expect(result.locks.reason).toMatch(/did not complete within 50 ms/);
      const ok = await module.get(LockService).checkHealth({ timeout: 50 });
      expect(ok.status).toBe('down');
      const bad = await indicator.isHealthy('locks', { timeout: 'soon' as never });
      expect(bad.locks).toMatchObject({ status: 'down' });
    } finally {
      await module.close();
    }
  });

  it('is up with the memory store and names the store', async () => {
    const { Test } = await import('@nestjs/testing');
    const module = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({ store: new MemoryLockStore(), monitoring: { healthCheckInterval: 0 } }),
        RedisLockHealthModule,
      ],
    }).compile();
    await module.init();
    try {
      const result = await module.get(RedisLockHealthIndicator).isHealthy();
      expect(result['redis-lock']).toMatchObject({ status: 'up', store: 'memory', probe: 'ok' });
    } finally {
      await module.close();
    }
  });
});
