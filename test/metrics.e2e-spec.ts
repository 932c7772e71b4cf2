import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError, LockLostError, LockService, RedisLockModule } from '@lynx-nest/redis-lock';
import { LOCK_METRIC_DEFINITIONS, LOCK_METRIC_NAMES as N } from '@lynx-nest/redis-lock/metrics';
import { parsePrometheusText, type PromPage } from './support/prometheus-text.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'metrics-e2e:';

/** A Nest app with `PrometheusModule.register()` and the lock module's metrics on, listening on loopback. */
async function startMetricsApp(
  port: number,
  lock?: { commandTimeout: string },
): Promise<{ app: INestApplication; base: string; locks: LockService }> {
  @Module({
    imports: [
      PrometheusModule.register(),
      RedisLockModule.forRoot({
        addrs: [`127.0.0.1:${port}`],
        keyPrefix: PREFIX,
        ...(lock ? { lock } : {}),
        monitoring: { enableMetrics: true, healthCheckInterval: 0 },
      }),
    ],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1'), locks: app.get(LockService) };
}

/** The app's `/metrics` page, parsed (the page must answer 200). */
async function scrapeMetrics(base: string): Promise<PromPage> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

/**
 * A scripted run against a real redis-server, then the `/metrics` page of a Nest app with
 * `PrometheusModule.register()` and `RedisLockModule.forRoot({ monitoring: { enableMetrics: true } })`
 * (no other metrics wiring) is checked name by name, label set by label set, value by value.
 */
describe('Prometheus metrics of a Nest app (real Redis)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let locks: LockService;
  let base: string;
  const scrape = (): Promise<PromPage> => scrapeMetrics(base);

  beforeAll(async () => {
    register.clear();
    redis = await startRedisServer();
    ({ app, base, locks } = await startMetricsApp(redis.port, { commandTimeout: '300ms' }));
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    register.clear();
  });

  it('reports every metric, label set and count of a scripted run', async () => {
    // 1. two plain acquisitions under one low-cardinality name
    for (const id of [1, 2]) await locks.withLock(`order:${id}`, () => undefined, { name: 'order' });
    // 2. a reentrant hold: two acquisitions, one hold time
    await locks.withLock('acct', () => locks.withLock('acct', () => undefined));
    // 3. contention: one waiter gives up, one gets the lock after the holder releases (fair or not)
    let retryEvents = 0;
    locks.events.on('retry', (e) => void (e.name === 'contended' && retryEvents++));
    const holder = await locks.acquire('contended', '5s');
    await expect(
      locks.acquire('contended', '5s', { maxRetries: 2, retryStrategy: { type: 'fixed', initialInterval: 150 } }),
    ).rejects.toMatchObject({ code: 'timeout' });
    const retried = new Promise((resolve) => locks.events.once('retry', resolve));
    const waiter = locks.acquire('contended', '5s', {
      maxRetries: 100,
      retryStrategy: { type: 'fixed', initialInterval: 20 },
    });
    await retried; // the second waiter is retrying: now the holder lets go
    await holder.release();
    await (await waiter).release();
    // 4. renewals: two by hand, and the watchdog's while a short-TTL critical section runs
    const renewable = await locks.acquire('renewable', '2s');
    await renewable.renew();
    await renewable.renew('3s');
    await renewable.release();
    await locks.withLock('watched', () => sleep(350), { ttl: '300ms' });
    // 5. lost locks: one expires (no renewal), one is deleted behind its holder's back
    const expiring = await locks.acquire('expiring', '150ms');
    await sleep(350);
    expect(expiring.isHeld()).toBe(false);
    expect(await expiring.release()).toBe(false);
    const stolen = await locks.acquire('stolen', '5s');
    const raw = redis.client();
    await raw.del(`${PREFIX}{stolen}`);
    await expect(stolen.renew()).rejects.toBeInstanceOf(LockLostError);
    await stolen.release();
    raw.disconnect();
    // 6. a skip, as @WithLock({ onLocked: 'skip' }) reports it
    locks.events.emit('skipped', { kind: 'mutex', name: 'nightly', key: 'nightly' });
    // 7. a lock held while /metrics is scraped
    const held = await locks.acquire('held-now', '5s');
    const during = await scrape();
    expect(during.get(N.active, { name: 'held-now', kind: 'mutex' })).toBe(1);
    await held.release();
    // 8. Redis stops: a renewal fails and the lock is lost, then a new acquisition fails on the backend
    await locks
      .withLock(
        'renew-down',
        async () => {
          await redis.kill();
          await sleep(450);
        },
        { ttl: '400ms' },
      )
      .catch(() => undefined);
    await expect(locks.withLock('when-down', () => undefined)).rejects.toBeInstanceOf(LockBackendError);

    // Scraping needs no Redis: metrics never make a round trip.
    const page = await scrape();

    // every name is announced with its type and has at least one series
    for (const d of Object.values(LOCK_METRIC_DEFINITIONS)) {
      expect(page.types.get(d.name), d.name).toBe(d.type);
      const series = d.type === 'histogram' ? `${d.name}_count` : d.name;
      expect(page.labelSets(series).length, d.name).toBeGreaterThan(0);
      for (const labels of page.labelSets(series))
        expect(Object.keys(labels).sort(), d.name).toEqual([...d.labelNames].sort());
    }
    // histograms expose buckets with the name and kind labels plus le
    expect(page.labelSets(`${N.duration}_bucket`).every((l) => 'le' in l && 'name' in l && 'kind' in l)).toBe(true);
    // this run took mutexes only
    expect(
      new Set(page.samples.filter((s) => s.name.startsWith('lynx_redis_lock_')).map((s) => s.labels.kind)),
    ).toEqual(
      new Set(['mutex', undefined]), // undefined: the circuit breaker gauge has no labels
    );

    // values that match what the script did
    expect(page.get(N.acquisitions, { name: 'order', kind: 'mutex' })).toBe(2);
    expect(page.get(N.releases, { name: 'order', kind: 'mutex' })).toBe(2);
    expect(page.get(`${N.duration}_count`, { name: 'order', kind: 'mutex' })).toBe(2);
    expect(page.get(`${N.wait}_count`, { name: 'order', kind: 'mutex' })).toBe(2);
    expect(page.get(N.acquisitions, { name: 'acct', kind: 'mutex' })).toBe(2);
    expect(page.get(N.releases, { name: 'acct', kind: 'mutex' })).toBe(2);
    expect(page.get(`${N.duration}_count`, { name: 'acct', kind: 'mutex' })).toBe(1);
    expect(page.get(N.acquisitions, { name: 'contended', kind: 'mutex' })).toBe(2);
    expect(page.get(N.errors, { name: 'contended', reason: 'timeout', kind: 'mutex' })).toBe(1);
    expect(page.get(N.retryFailures, { name: 'contended', kind: 'mutex' })).toBe(1);
    const retries = page.get(N.retries, { name: 'contended', kind: 'mutex' })!;
    expect(retries).toBe(retryEvents);
    expect(retries).toBeGreaterThanOrEqual(2); // at least 1 by the waiter that gave up (300 ms budget), at least 1 by the other
    expect(page.get(`${N.retryDuration}_count`, { name: 'contended', kind: 'mutex' })).toBe(retries);
    expect(page.get(`${N.retryDuration}_sum`, { name: 'contended', kind: 'mutex' })).toBeGreaterThan(0);
    expect(page.get(N.renewals, { name: 'renewable', kind: 'mutex' })).toBe(2);
    expect(page.get(N.renewals, { name: 'watched', kind: 'mutex' })).toBeGreaterThanOrEqual(1);
    expect(page.get(N.lost, { name: 'expiring', reason: 'expired', kind: 'mutex' })).toBe(1);
    expect(page.get(N.expirations, { name: 'expiring', kind: 'mutex' })).toBe(1);
    expect(page.get(N.errors, { name: 'expiring', reason: 'lost', kind: 'mutex' })).toBe(1);
    expect(page.get(N.releases, { name: 'expiring', kind: 'mutex' })).toBe(1);
    expect(page.get(N.lost, { name: 'stolen', reason: 'refused', kind: 'mutex' })).toBe(1);
    expect(page.get(N.errors, { name: 'stolen', reason: 'lost', kind: 'mutex' })).toBe(1);
    expect(page.get(N.skips, { name: 'nightly', kind: 'mutex' })).toBe(1);
    expect(page.get(N.renewalErrors, { name: 'renew-down', kind: 'mutex' })).toBeGreaterThanOrEqual(1);
    expect(page.get(N.errors, { name: 'renew-down', reason: 'backend', kind: 'mutex' })).toBe(
      page.get(N.renewalErrors, { name: 'renew-down', kind: 'mutex' }),
    );
    expect(page.get(N.lost, { name: 'renew-down', reason: 'expired', kind: 'mutex' })).toBe(1);
    expect(page.get(N.errors, { name: 'when-down', reason: 'backend', kind: 'mutex' })).toBe(1);
    for (const labels of page.labelSets(N.active)) expect(page.get(N.active, labels), labels.name).toBe(0);
    // the `name` label is the lock's name option, never a Redis key
    expect(
      page.samples.some((s) => s.name.startsWith('lynx_redis_lock_') && (s.labels.name ?? '').includes(PREFIX)),
    ).toBe(false);

    // getStatistics() tells the same story
    const stats = locks.getStatistics();
    expect(stats.activeLocks).toBe(0);
    expect(stats.totalAcquired).toBe(page.sum(N.acquisitions));
    expect(stats.totalReleased).toBe(page.sum(N.releases));
    expect(stats.totalRetries).toBe(page.sum(N.retries));
    expect(stats.totalRenewals).toBe(page.sum(N.renewals));
    expect(stats.totalRenewalErrors).toBe(page.sum(N.renewalErrors));
    expect(stats.totalLost).toBe(page.sum(N.lost));
    expect(stats.totalExpirations).toBe(page.sum(N.expirations));
    expect(stats.totalSkipped).toBe(1);
    expect(stats.failuresByReason).toEqual({ timeout: 1, backend: 1 });
    expect(stats.totalFailed).toBe(2);
    expect(stats.wait.count).toBe(page.sum(`${N.wait}_count`));
    expect(stats.hold.count).toBe(page.sum(`${N.duration}_count`));
    expect(stats.wait.p99Ms).toBeGreaterThanOrEqual(stats.wait.avgMs);
    expect(stats.hold.maxMs).toBeGreaterThanOrEqual(300); // 'watched' was held ≥ 350 ms
    expect(stats.recentErrorRate).toBeGreaterThan(0);
  });
});

/**
 * The `kind` label of read-write locks and semaphores on a real `/metrics` page. Needs a store with
 * the permit scripts (RedisLockStore implementing PermitStore).
 */
describe('Prometheus metrics by kind: read-write locks and semaphores (real Redis)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let locks: LockService;
  let base: string;

  beforeAll(async () => {
    register.clear();
    redis = await startRedisServer();
    ({ app, base, locks } = await startMetricsApp(redis.port));
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    register.clear();
  });

  it('counts reads, writes and semaphore permits under their own kind, the same name kept apart', async () => {
    await locks.withLock('catalog', () => undefined);
    // two readers at once, one of them reentrant (a read inside the read)
    await Promise.all([
      locks.withReadLock('catalog', () => locks.withReadLock('catalog', () => sleep(20))),
      locks.withReadLock('catalog', () => sleep(20)),
    ]);
    await locks.withWriteLock('catalog', () => undefined);
    const api = locks.semaphore('catalog', { permits: 1 });
    const permit = await api.acquire();
    expect(await api.tryAcquire()).toBeNull(); // busy: not an error
    await expect(
      api.acquire(1, { maxRetries: 1, retryStrategy: { type: 'fixed', initialInterval: 20 } }),
    ).rejects.toMatchObject({ code: 'timeout' });
    const during = await scrapeMetrics(base);
    expect(during.get(N.active, { name: 'catalog', kind: 'semaphore' })).toBe(1);
    await permit.release();

    const page = await scrapeMetrics(base);
    const at = (kind: string) => ({ name: 'catalog', kind });
    expect(page.get(N.acquisitions, at('mutex'))).toBe(1);
    expect(page.get(N.acquisitions, at('read'))).toBe(3);
    expect(page.get(`${N.duration}_count`, at('read'))).toBe(2); // outermost holds only
    expect(page.get(N.acquisitions, at('write'))).toBe(1);
    expect(page.get(N.releases, at('write'))).toBe(1);
    expect(page.get(N.acquisitions, at('semaphore'))).toBe(1);
    expect(page.get(N.errors, { ...at('semaphore'), reason: 'timeout' })).toBe(1);
    expect(page.get(N.retryFailures, at('semaphore'))).toBe(1);
    for (const kind of ['mutex', 'read', 'write', 'semaphore']) expect(page.get(N.active, at(kind)), kind).toBe(0);

    const { byKind } = locks.getStatistics();
    expect(byKind.read).toMatchObject({ acquired: 3, released: 3, failed: 0, active: 0 });
    expect(byKind.write).toMatchObject({ acquired: 1, released: 1, active: 0 });
    expect(byKind.semaphore).toMatchObject({ acquired: 1, released: 1, failed: 1, active: 0 });
    expect(byKind.mutex).toMatchObject({ acquired: 1, released: 1, active: 0 });
  });
});
