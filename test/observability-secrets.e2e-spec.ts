import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockService, RedisLockModule, type RedisLockModuleOptions } from '@lynx-nest/redis-lock';
import { RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { CapturingLogger } from './support/capturing-logger.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { eventually, LockHealthController } from './support/terminus-health.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('logs, health payloads and metrics of a run against a password-protected Redis', () => {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
  let redis: RedisServer;
  const apps: INestApplication[] = [];
  const logger = new CapturingLogger();
  /** Everything the run exposed: health bodies, metrics pages, statistics, inspection, error texts. */
  const exposed: string[] = [];
  /** Full owner tokens of every lock taken (bearer secrets). */
  const tokens: string[] = [];

  const start = async (
    options: RedisLockModuleOptions,
    appLogger: LoggerService = logger,
  ): Promise<{ app: INestApplication; base: string; locks: LockService }> => {
    @Module({
      imports: [
        TerminusModule,
        PrometheusModule.register({ defaultMetrics: { enabled: false } }),
        RedisLockModule.forRoot({ lock: { commandTimeout: '300ms' }, ...options }),
        RedisLockHealthModule,
      ],
      controllers: [LockHealthController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: appLogger });
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1'), locks: app.get(LockService) };
  };
  const get = async (url: string) => {
    const response = await fetch(url);
    const text = await response.text();
    exposed.push(text);
    return { status: response.status, text };
  };
  const remember = (error: unknown) => {
    const e = error as Error;
    exposed.push(String(e), e?.stack ?? '', JSON.stringify(e));
  };

  beforeAll(async () => {
    register.clear();
    redis = await startRedisServer({ args: ['--requirepass', password] });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.stop();
    register.clear();
  });

  it('finds no password and no full owner token anywhere, while DEBUG logs every acquire, renew and release with timing', async () => {
    const { base, locks } = await start({
      addrs: [`127.0.0.1:${redis.port}`],
      password,
      instanceId: 'api-1',
      logging: { level: 'DEBUG' },
      monitoring: { enableMetrics: true, healthCheckInterval: '100ms' },
    });
    // a second app whose address carries the password in its URL
    const viaUrl = await start({
      addrs: [`redis://:${password}@127.0.0.1:${redis.port}`],
      instanceId: 'api-2',
      logging: { level: 'DEBUG' },
      monitoring: { healthCheckInterval: '100ms' },
    });

    // acquire / watchdog renew / release, contention, a lost lock
    await locks.withLock(
      'report',
      async (lock) => {
        tokens.push(lock.getValue());
        await sleep(260);
      },
      { ttl: '300ms' },
    );
    const holder = await viaUrl.locks.acquire('shared', '5s');
    tokens.push(holder.getValue());
    await locks
      .acquire('shared', '5s', { maxRetries: 1, retryStrategy: { type: 'fixed', initialInterval: 10 } })
      .catch(remember);
    exposed.push(JSON.stringify(await locks.inspect('shared')), JSON.stringify(await locks.list()));
    await holder.release();
    const lost = await locks.acquire('short', '100ms');
    tokens.push(lost.getValue());
    await sleep(250);
    await lost.release().catch(remember);
    expect((await get(`${base}/health`)).status).toBe(200);

    // Redis goes away: failures, a 503, the probe's DOWN line; then it comes back
    await redis.kill();
    await locks.withLock('while-down', () => undefined).catch(remember);
    expect((await get(`${base}/health`)).status).toBe(503);
    expect((await get(`${viaUrl.base}/health`)).status).toBe(503);
    expect(await eventually(async () => logger.lines.some((l) => l.text.includes('Lock backend is DOWN')), 3000)).toBe(
      true,
    );
    await redis.restart();
    expect(await eventually(async () => (await get(`${base}/health`)).status === 200, 8000)).toBe(true);
    expect(await eventually(async () => (await get(`${viaUrl.base}/health`)).status === 200, 8000)).toBe(true);

    // a third app with the wrong password: AUTH fails, the reason is reported, the password is not
    const wrong = await start({
      addrs: [`127.0.0.1:${redis.port}`],
      password: wrongPassword,
      monitoring: { healthCheckInterval: '100ms' },
    });
    const refused = await get(`${wrong.base}/health`);
    expect(refused.status).toBe(503);
    await wrong.locks.withLock('never', () => undefined).catch(remember);

    exposed.push(
      (await get(`${base}/metrics`)).text,
      JSON.stringify(locks.getStatistics()),
      JSON.stringify(await locks.checkHealth()),
    );

    const everything = [...logger.lines.map((l) => l.text), ...exposed].join('\n');
    expect(everything.length).toBeGreaterThan(1000); // the run did produce output to search
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(wrongPassword);
    expect(tokens.length).toBe(3);
    for (const token of tokens) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.split(':').pop()); // not even the random part alone
    }

    // DEBUG: each acquire, renew and release is logged with timing and a redacted owner
    const debug = logger.lines.filter((l) => l.level === 'debug' && l.context === 'RedisLock').map((l) => l.text);
    expect(debug).toContainEqual(
      expect.stringMatching(
        /^acquired "report" fence=(\d+|-) owner=api-1:[0-9a-f]{6}… after [\d.]+ ms, 1 attempt\(s\)/,
      ),
    );
    expect(debug).toContainEqual(expect.stringMatching(/^renewed "report" for 300 ms \(held [\d.]+ ms so far\)/));
    expect(debug).toContainEqual(expect.stringMatching(/^released "report" fence=(\d+|-) after [\d.]+ ms held/));
    // warnings say what happened without secrets
    const warnings = logger.lines.filter((l) => l.level === 'warn' && l.context === 'RedisLock').map((l) => l.text);
    expect(warnings).toContainEqual(expect.stringMatching(/Lock "short" was lost/));
    expect(warnings).toContainEqual(expect.stringMatching(/Lock backend is UP again/));
    // the reason names the cause (WRONGPASS), not only the client state
    expect(JSON.parse(refused.text).error['redis-lock'].reason).toMatch(
      /^not connected to Redis \(client \w+; last error: WRONGPASS/,
    );
    // Nest's logger is process-wide: close the apps of this run, or their probes (the wrong-password
    // app's every 100 ms) would log into the next test's logger.
    for (const app of apps.splice(0)) await app.close();
  });

  it('logs nothing for ordinary acquire/release at the default level (WARN)', async () => {
    const own = new CapturingLogger();
    const { locks } = await start(
      { addrs: [`127.0.0.1:${redis.port}`], password, monitoring: { healthCheckInterval: 0 } },
      own,
    );
    await locks.withLock('quiet', () => undefined);
    await locks.withLock('quiet', () => undefined);
    expect(own.lines.length).toBeGreaterThan(0); // Nest's own start-up lines reach this logger
    expect(own.lines.filter((l) => l.context === 'RedisLock')).toEqual([]);
  });
});
