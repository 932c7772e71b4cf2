import 'reflect-metadata';
import type { ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Gauge, register, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LockEvents,
  LockService,
  RedisLockModule,
  type LockKind,
  type RedisLockModuleOptions,
} from '@lynx-nest/redis-lock';
import {
  attachLockMetrics,
  bindLockMetrics,
  LOCK_METRIC_DEFINITIONS,
  LOCK_METRIC_NAMES,
  OTHER_NAME_LABEL,
  RedisLockMetricsModule,
  registerLockMetrics,
  type LockMetricInstances,
} from '@lynx-nest/redis-lock/metrics';
import { MemoryLockStore } from '../store/memory-lock.store.js';
import { LOCK_METRICS_BINDING, loadLockMetrics } from '../lock/lock-metrics.loader.js';

type Labels = Record<string, string>;

/** Value of one series (counter/gauge), or of `<name>_count` / `_sum` of a histogram. */
async function value(
  registry: Registry,
  name: string,
  labels: Labels,
  field: 'value' | 'count' | 'sum' = 'value',
): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  const wanted = field === 'value' ? name : `${name}_${field}`;
  const match = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === wanted &&
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([k, x]) => v.labels[k] === x),
  );
  return match?.value;
}

async function app(options: RedisLockModuleOptions, imports: NonNullable<ModuleMetadata['imports']> = []) {
  const module = await Test.createTestingModule({
    imports: [
      RedisLockModule.forRoot({ store: new MemoryLockStore(), monitoring: { healthCheckInterval: 0 }, ...options }),
      ...imports,
    ],
  }).compile();
  await module.init();
  return { module, locks: module.get(LockService) };
}

const fast = { maxRetries: 1, retryStrategy: { type: 'fixed' as const, initialInterval: 5 } };

describe('lock metrics', () => {
  beforeEach(() => register.clear());
  afterEach(() => register.clear());

  it('forRoot({ monitoring: { enableMetrics: true } }) alone registers every metric in the default registry', async () => {
    const { module } = await app({ monitoring: { enableMetrics: true, healthCheckInterval: 0 } });
    try {
      expect(typeof module.get(LOCK_METRICS_BINDING).onModuleDestroy).toBe('function');
      for (const definition of Object.values(LOCK_METRIC_DEFINITIONS)) {
        const metric = register.getSingleMetric(definition.name);
        expect(metric, definition.name).toBeDefined();
        expect((metric as unknown as { labelNames: string[] }).labelNames, definition.name).toEqual(
          definition.labelNames,
        );
      }
      expect(Object.keys(LOCK_METRIC_NAMES)).toHaveLength(15);
    } finally {
      await module.close();
    }
  });

  it('registers nothing and records nothing with metrics off (the default)', async () => {
    const { module, locks } = await app({});
    try {
      await locks.withLock('off', () => undefined);
      expect(register.getMetricsAsArray()).toHaveLength(0);
      expect(module.get(LOCK_METRICS_BINDING)).toBeNull(); // nothing loaded, nothing listening
    } finally {
      await module.close();
    }
  });

  it('counts what the service did, with name and reason labels', async () => {
    const { module, locks } = await app({ monitoring: { enableMetrics: true, healthCheckInterval: 0 } });
    try {
      // 1 first hold + 1 reentrant hold of 'job', both released
      await locks.withLock('job', () => locks.withLock('job', () => undefined, { name: 'jobs' }), { name: 'jobs' });
      // contention: a holder, a waiter that gives up
      let retryEvents = 0;
      locks.events.on('retry', (e) => void (e.name === 'busy' && retryEvents++));
      const holder = await locks.acquire('busy', '5s');
      await expect(locks.acquire('busy', '5s', fast)).rejects.toMatchObject({ code: 'timeout' });
      // a waiter aborted by its caller counts as a timeout too
      const controller = new AbortController();
      const aborted = locks.acquire('busy', '5s', {
        maxRetries: -1,
        maxElapsedTime: '10s',
        retryStrategy: { type: 'fixed', initialInterval: 5 },
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 30);
      await expect(aborted).rejects.toBeDefined();
      expect(await locks.tryLock('busy')).toBeNull(); // busy is not an error
      await holder.release();
      // invalid input and deadlock
      await expect(locks.acquire('a{b}')).rejects.toMatchObject({ code: 'invalid_key' });
      await expect(locks.lock('dl', '5s', () => locks.lock('dl', '5s', () => undefined))).rejects.toMatchObject({
        code: 'deadlock',
      });
      // renewal by hand
      const renewable = await locks.acquire('renew-me', '5s');
      await renewable.renew();
      await renewable.renew('6s');
      await renewable.release();
      // a skip reported by the decorator (emitted the way @WithLock does)
      locks.events.emit('skipped', { kind: 'mutex', name: 'cron', key: 'cron' });

      const r = register;
      expect(await value(r, LOCK_METRIC_NAMES.acquisitions, { name: 'jobs', kind: 'mutex' })).toBe(2);
      expect(await value(r, LOCK_METRIC_NAMES.releases, { name: 'jobs', kind: 'mutex' })).toBe(2);
      expect(await value(r, LOCK_METRIC_NAMES.duration, { name: 'jobs', kind: 'mutex' }, 'count')).toBe(1); // outermost hold only
      expect(await value(r, LOCK_METRIC_NAMES.wait, { name: 'jobs', kind: 'mutex' }, 'count')).toBe(1);
      expect(await value(r, LOCK_METRIC_NAMES.acquisitions, { name: 'busy', kind: 'mutex' })).toBe(1);
      expect(await value(r, LOCK_METRIC_NAMES.errors, { name: 'busy', reason: 'timeout', kind: 'mutex' })).toBe(2);
      expect(await value(r, LOCK_METRIC_NAMES.retryFailures, { name: 'busy', kind: 'mutex' })).toBe(2);
      const retries = (await value(r, LOCK_METRIC_NAMES.retries, { name: 'busy', kind: 'mutex' })) ?? 0;
      expect(retries).toBe(retryEvents);
      expect((await value(r, LOCK_METRIC_NAMES.retryDuration, { name: 'busy', kind: 'mutex' }, 'count')) ?? 0).toBe(
        retries,
      );
      expect(await value(r, LOCK_METRIC_NAMES.errors, { name: 'a{b}', reason: 'invalid', kind: 'mutex' })).toBe(1);
      expect(await value(r, LOCK_METRIC_NAMES.errors, { name: 'dl', reason: 'deadlock', kind: 'mutex' })).toBe(1);
      expect(await value(r, LOCK_METRIC_NAMES.renewals, { name: 'renew-me', kind: 'mutex' })).toBe(2);
      expect(await value(r, LOCK_METRIC_NAMES.skips, { name: 'cron', kind: 'mutex' })).toBe(1);
      for (const name of ['jobs', 'busy', 'renew-me', 'dl'])
        expect(await value(r, LOCK_METRIC_NAMES.active, { name, kind: 'mutex' }), name).toBe(0);

      const stats = locks.getStatistics();
      expect(stats.totalAcquired).toBe(2 + 1 + 1 + 1); // jobs ×2, busy, dl (outer), renew-me
      expect(stats.failuresByReason).toEqual({ timeout: 1, aborted: 1, invalid_key: 1, deadlock: 1 });
    } finally {
      await module.close();
    }
  });

  it('tracks active locks per name and drops them from the gauge on loss and on detach', async () => {
    const registry = new Registry();
    const { module, locks } = await app({});
    try {
      const binding = bindLockMetrics(locks, registry);
      const a = await locks.acquire('x', '5s', { name: 'grp' });
      const b = await locks.acquire('y', '5s', { name: 'grp' });
      expect(await value(registry, LOCK_METRIC_NAMES.active, { name: 'grp', kind: 'mutex' })).toBe(2);
      await a.release();
      await a.release(); // idempotent: counted once
      expect(await value(registry, LOCK_METRIC_NAMES.active, { name: 'grp', kind: 'mutex' })).toBe(1);
      binding.detach();
      expect(await value(registry, LOCK_METRIC_NAMES.active, { name: 'grp', kind: 'mutex' })).toBe(0);
      await b.release();
      expect(await value(registry, LOCK_METRIC_NAMES.releases, { name: 'grp', kind: 'mutex' })).toBe(1); // not recorded after detach
    } finally {
      await module.close();
    }
  });

  it('labels every per-lock series with the kind of the holding, and keeps kinds of one name apart', async () => {
    const registry = new Registry();
    const events = new LockEvents();
    const binding = attachLockMetrics({ events }, registerLockMetrics(registry));
    const hold = (kind: LockKind, ownership: number) => ({
      kind,
      name: 'catalog',
      key: 'catalog',
      ownership,
      fence: 1,
    });
    const acquired = (kind: LockKind, ownership: number, reentrant = false) =>
      events.emit('acquired', { ...hold(kind, ownership), waitMs: 5, attempts: 1, reentrant });
    acquired('mutex', 1);
    acquired('read', 2);
    acquired('read', 3);
    acquired('read', 3, true); // a read inside the read: counted, not active twice
    acquired('write', 4);
    acquired('semaphore', 5);
    events.emit('released', { ...hold('read', 2), heldMs: 10, expired: false, reentrant: false });
    events.emit('lost', { ...hold('write', 4), reason: 'expired' });
    events.emit('failed', { kind: 'semaphore', name: 'catalog', key: 'catalog', reason: 'timeout', waitMs: 50 });
    events.emit('retry', { kind: 'write', name: 'catalog', key: 'catalog', attempt: 1, delayMs: 20 });
    events.emit('renewed', { kind: 'semaphore', name: 'catalog', key: 'catalog', ttlMs: 1000, heldMs: 500 });
    events.emit('renewalFailed', { kind: 'read', name: 'catalog', key: 'catalog', message: 'down' });
    events.emit('expired', { kind: 'write', name: 'catalog', key: 'catalog' });
    events.emit('skipped', { kind: 'semaphore', name: 'catalog', key: 'catalog' });

    const at = (kind: LockKind, extra: Labels = {}) => ({ name: 'catalog', ...extra, kind });
    const N = LOCK_METRIC_NAMES;
    expect(await value(registry, N.acquisitions, at('mutex'))).toBe(1);
    expect(await value(registry, N.acquisitions, at('read'))).toBe(3);
    expect(await value(registry, N.acquisitions, at('write'))).toBe(1);
    expect(await value(registry, N.acquisitions, at('semaphore'))).toBe(1);
    expect(await value(registry, N.wait, at('read'), 'count')).toBe(2);
    expect(await value(registry, N.active, at('mutex'))).toBe(1);
    expect(await value(registry, N.active, at('read'))).toBe(1); // one of two readers released
    expect(await value(registry, N.active, at('write'))).toBe(0); // lost
    expect(await value(registry, N.active, at('semaphore'))).toBe(1);
    expect(await value(registry, N.releases, at('read'))).toBe(1);
    expect(await value(registry, N.duration, at('read'), 'count')).toBe(1);
    expect(await value(registry, N.lost, at('write', { reason: 'expired' }))).toBe(1);
    expect(await value(registry, N.errors, at('write', { reason: 'lost' }))).toBe(1);
    expect(await value(registry, N.errors, at('semaphore', { reason: 'timeout' }))).toBe(1);
    expect(await value(registry, N.retryFailures, at('semaphore'))).toBe(1);
    expect(await value(registry, N.retries, at('write'))).toBe(1);
    expect(await value(registry, N.retryDuration, at('write'), 'count')).toBe(1);
    expect(await value(registry, N.renewals, at('semaphore'))).toBe(1);
    expect(await value(registry, N.renewalErrors, at('read'))).toBe(1);
    expect(await value(registry, N.errors, at('read', { reason: 'backend' }))).toBe(1);
    expect(await value(registry, N.expirations, at('write'))).toBe(1);
    expect(await value(registry, N.skips, at('semaphore'))).toBe(1);
    // every per-lock metric has the kind label; detach takes each kind's holdings out of the gauge
    for (const definition of Object.values(LOCK_METRIC_DEFINITIONS))
      if (definition.labelNames.length > 0) expect(definition.labelNames, definition.name).toContain('kind');
    binding.detach();
    for (const kind of ['mutex', 'read', 'semaphore'] as const)
      expect(await value(registry, N.active, at(kind)), kind).toBe(0);
  });

  it('does not double count when enableMetrics and RedisLockMetricsModule are both used', async () => {
    const { module, locks } = await app({ monitoring: { enableMetrics: true, healthCheckInterval: 0 } }, [
      RedisLockMetricsModule,
    ]);
    try {
      await locks.withLock('twice', () => undefined);
      expect(await value(register, LOCK_METRIC_NAMES.acquisitions, { name: 'twice', kind: 'mutex' })).toBe(1);
    } finally {
      await module.close();
    }
  });

  it('RedisLockMetricsModule alone wires the metrics through @willsoto/nestjs-prometheus providers', async () => {
    const { module, locks } = await app({}, [RedisLockMetricsModule]);
    try {
      await locks.withLock('wired', () => undefined);
      expect(await value(register, LOCK_METRIC_NAMES.acquisitions, { name: 'wired', kind: 'mutex' })).toBe(1);
      expect(register.getSingleMetric(LOCK_METRIC_NAMES.skips)).toBeDefined();
    } finally {
      await module.close();
    }
  });

  it('reuses metrics already registered, so a second app in the process does not throw', async () => {
    const first = await app({ monitoring: { enableMetrics: true, healthCheckInterval: 0 } });
    const second = await app({ monitoring: { enableMetrics: true, healthCheckInterval: 0 } });
    try {
      await first.locks.withLock('shared', () => undefined);
      await second.locks.withLock('shared', () => undefined);
      expect(await value(register, LOCK_METRIC_NAMES.acquisitions, { name: 'shared', kind: 'mutex' })).toBe(2);
    } finally {
      await first.module.close();
      await second.module.close();
    }
  });

  it('refuses a clashing metric of another type with a clear error', () => {
    const registry = new Registry();
    new Gauge({ name: LOCK_METRIC_NAMES.acquisitions, help: 'x', registers: [registry] });
    expect(() => registerLockMetrics(registry)).toThrow(/already registered with another type/);
  });

  it('never lets a failing metric reach the lock path', async () => {
    const { module, locks } = await app({});
    try {
      const broken = {
        inc: () => {
          throw new Error('boom');
        },
        dec: () => undefined,
        observe: () => {
          throw new Error('boom');
        },
      };
      const metrics = Object.fromEntries(
        Object.keys(LOCK_METRIC_DEFINITIONS).map((k) => [k, broken]),
      ) as unknown as LockMetricInstances;
      attachLockMetrics(locks, metrics);
      await expect(locks.withLock('fine', () => 42)).resolves.toBe(42);
    } finally {
      await module.close();
    }
  });

  it('caps distinct name labels', async () => {
    const registry = new Registry();
    const { module, locks } = await app({});
    try {
      attachLockMetrics(locks, registerLockMetrics(registry), { maxNames: 2 });
      for (const key of ['n1', 'n2', 'n3', 'n4']) await locks.withLock(key, () => undefined);
      expect(await value(registry, LOCK_METRIC_NAMES.acquisitions, { name: 'n2', kind: 'mutex' })).toBe(1);
      expect(await value(registry, LOCK_METRIC_NAMES.acquisitions, { name: OTHER_NAME_LABEL, kind: 'mutex' })).toBe(2);
      expect(await value(registry, LOCK_METRIC_NAMES.acquisitions, { name: 'n3', kind: 'mutex' })).toBeUndefined();
    } finally {
      await module.close();
    }
  });

  it('fails with an install hint when prom-client cannot be loaded', async () => {
    const missing = () =>
      Promise.reject(
        new Error(
          "Cannot find package 'prom-client' imported from /app/node_modules/@lynx-nest/redis-lock/dist/metrics/lock-metrics.registration.js",
        ),
      );
    await expect(loadLockMetrics({ events: new LockEvents() }, missing as never)).rejects.toThrow(
      /npm install prom-client/,
    );
    const other = () => Promise.reject(new Error('something else'));
    await expect(loadLockMetrics({ events: new LockEvents() }, other as never)).rejects.toThrow('something else');
  });
});
