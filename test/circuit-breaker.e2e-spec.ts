import { performance } from 'node:perf_hooks';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCK_STORE,
  LockBackendError,
  unwrapStore,
  type LockEventMap,
  type LockStore,
  type RedisLockStore,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const COMMAND_TIMEOUT_MS = 500;
const PROBE_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, limitMs: number): Promise<number> {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(2);
  }
  return performance.now() - start;
}

/** `lynx_redis_lock_circuit_breaker_state` in prom-client's default registry (0 closed, 1 half-open, 2 open). */
async function breakerGauge(): Promise<number | undefined> {
  const metric = register.getSingleMetric('lynx_redis_lock_circuit_breaker_state');
  return (await metric?.get())?.values[0]?.value;
}

describe('circuit breaker against a real redis-server', () => {
  let redis: RedisServer;
  let app: LockApp;
  const changes: LockEventMap['breaker'][0][] = [];
  let client: () => RedisLockStore['redis'];

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({
      addrs: [`127.0.0.1:${redis.port}`],
      lock: {
        defaultTimeout: '5s',
        commandTimeout: `${COMMAND_TIMEOUT_MS}ms`,
        renewalThreshold: 0.2,
        circuitBreaker: { failureThreshold: 5, resetTimeout: `${PROBE_MS}ms` },
      },
      monitoring: { enableMetrics: true, healthCheckInterval: 0 },
    });
    app.locks.events.on('breaker', (e) => changes.push(e));
    const store = unwrapStore(app.module.get<LockStore>(LOCK_STORE)) as RedisLockStore;
    client = () => store.redis;
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    register.clear();
  });

  it('Redis paused: opens after 5 timeouts, fails fast, and locks already held keep renewing through it', async () => {
    // 2 s: the pause below (5 command timeouts in parallel, 1,000 fast failures, 300 ms) must end within
    // the lock's validity; a renewal that is still unanswered when the validity ends loses the lock.
    const held = await app.locks.acquire('held', '2s', { renewalEnabled: true });
    redis.pause();
    try {
      const first = await Promise.all(Array.from({ length: 5 }, (_, i) => app.locks.tryLock(`p${i}`).catch((e) => e)));
      expect(first.every((e) => e instanceof LockBackendError)).toBe(true);
      expect(app.locks.getStatistics().circuitBreaker).toBe('open');
      expect(await breakerGauge()).toBe(2);
      const started = performance.now();
      const errors = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => app.locks.tryLock(`fast:${i}`).catch((e) => e)),
      );
      const tookMs = performance.now() - started;
      expect(errors.every((e) => e instanceof LockBackendError && /circuit breaker open/.test(e.message))).toBe(true);
      // The messages prove no command was sent; the bound says none waited for a command timeout (the
      // whole batch runs concurrently, so one timeout would show as >= COMMAND_TIMEOUT_MS).
      expect(tookMs).toBeLessThan(COMMAND_TIMEOUT_MS);
      console.log(
        `1000 acquisitions with the breaker open (Redis paused) failed in ${tookMs.toFixed(1)} ms; command timeout ${COMMAND_TIMEOUT_MS} ms`,
      );
    } finally {
      await sleep(300); // under the held lock's 2 s TTL
      redis.resume();
    }
    // The watchdog's renewals were never short-circuited: the held lock survives the pause.
    await until(() => app.locks.getStatistics().circuitBreaker === 'closed', 5000);
    expect(await breakerGauge()).toBe(0);
    await sleep(2200); // longer than the TTL: only renewals keep it
    expect(held.isHeld()).toBe(true);
    expect((await app.locks.inspect('held')).held).toBe(true);
    expect(await held.release()).toBe(true);
  });

  it('Redis stopped: opens, 1,000 acquisitions fail in well under one command timeout, closes within one probe interval of Redis answering', async () => {
    changes.length = 0;
    await redis.kill();
    for (let i = 0; i < 5 && app.locks.getStatistics().circuitBreaker === 'closed'; i++) {
      await expect(app.locks.tryLock(`down:${i}`)).rejects.toBeInstanceOf(LockBackendError);
    }
    expect(app.locks.getStatistics().circuitBreaker).toBe('open');
    const opensBefore = app.locks.getStatistics().totalCircuitBreakerOpens;
    expect(opensBefore).toBeGreaterThanOrEqual(2);

    const started = performance.now();
    const errors = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => app.locks.acquire(`fast:${i}`).catch((e) => e)),
    );
    const tookMs = performance.now() - started;
    // Refused by the open breaker (no command sent), and none waited for a command timeout.
    expect(errors.every((e) => e instanceof LockBackendError && /circuit breaker open/.test(e.message))).toBe(true);
    expect(tookMs).toBeLessThan(COMMAND_TIMEOUT_MS);
    console.log(
      `1000 acquisitions with the breaker open (Redis stopped) failed in ${tookMs.toFixed(1)} ms; command timeout ${COMMAND_TIMEOUT_MS} ms`,
    );

    const health = await app.locks.checkHealth();
    expect(health.status).toBe('down');
    expect(health.circuitBreaker).not.toBe('closed');
    expect(app.locks.getStatistics().failuresByReason.backend).toBeGreaterThanOrEqual(1000);

    await redis.restart();
    const restartedAt = performance.now();
    // ioredis reconnects on its own backoff (capped at 2 s); the breaker cannot see Redis before that.
    const reconnectMs = await until(() => client().status === 'ready', 10_000);
    const closeAfterReadyMs = await until(() => app.locks.getStatistics().circuitBreaker === 'closed', 10_000);
    console.log(
      `Redis back: client ready after ${reconnectMs.toFixed(0)} ms, breaker closed ${closeAfterReadyMs.toFixed(0)} ms later (probe interval ${PROBE_MS} ms); total ${(performance.now() - restartedAt).toFixed(0)} ms`,
    );
    expect(closeAfterReadyMs).toBeLessThanOrEqual(PROBE_MS + 100);
    expect(changes.map((c) => c.state)).toEqual(expect.arrayContaining(['open', 'half_open', 'closed']));
    expect(changes.at(-1)?.state).toBe('closed');

    // The app recovered by itself.
    const lock = await app.locks.acquire('after', '2s');
    expect(lock.isHeld()).toBe(true);
    await lock.release();
    const health2 = await app.locks.checkHealth();
    expect(health2).toMatchObject({ status: 'up', circuitBreaker: 'closed' });
  });

  it('can be disabled', async () => {
    const other = await createLockApp({
      addrs: ['127.0.0.1:1'],
      lock: { commandTimeout: '200ms', circuitBreaker: { enabled: false } },
    });
    try {
      for (let i = 0; i < 8; i++) await expect(other.locks.tryLock('x')).rejects.toBeInstanceOf(LockBackendError);
      expect(other.locks.getStatistics().circuitBreaker).toBe('closed');
      expect((await other.locks.checkHealth()).circuitBreaker).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
