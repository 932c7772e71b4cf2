import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LockAcquireTimeoutError, LockLostError, WithLock } from '@lynx-nest/redis-lock';
import { otelApiReady } from '../libs/redis-lock/src/tracing/otel-api.loader.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
class NightlyJobs {
  runs = 0;
  @WithLock('job:nightly', { onLocked: 'skip', name: 'nightly' })
  async run(): Promise<string> {
    this.runs++;
    return 'ran';
  }
}

describe('OpenTelemetry spans (in-memory exporter, real redis-server)', () => {
  let redis: RedisServer;
  let app: LockApp;
  let other: LockApp;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  const test = () => trace.getTracer('tracing.e2e');
  const register = () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(contextManager.enable());
  };

  /** Runs `fn` inside a fresh active span `name` (the caller's span), ends it, returns it with `fn`'s result. */
  async function inSpan<T>(name: string, fn: () => Promise<T>): Promise<{ span: Span; value: T }> {
    return test().startActiveSpan(name, async (span) => {
      try {
        return { span, value: await fn() };
      } finally {
        span.end();
      }
    });
  }
  const spans = (name: string, lock?: string): ReadableSpan[] =>
    exporter
      .getFinishedSpans()
      .filter((s) => s.name === name && (lock === undefined || s.attributes['redis_lock.name'] === lock));
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  beforeAll(async () => {
    expect(await otelApiReady).toBeDefined();
    redis = await startRedisServer();
    const base = { addrs: [`127.0.0.1:${redis.port}`], lock: { commandTimeout: '500ms' } };
    app = await createLockApp({ ...base, instanceId: 'trace-a' }, [NightlyJobs]);
    other = await createLockApp({ ...base, instanceId: 'trace-b' });
    register();
  });
  afterEach(() => {
    exporter.reset();
    closeClients();
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    await app?.close();
    await other?.close();
    await redis?.stop();
  });

  it('with no tracer provider registered, records nothing, subscribes no listener and throws nothing', async () => {
    trace.disable();
    context.disable();
    const fresh = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'trace-off', name: 'off' });
    const listeners = fresh.locks.events.listenerCount('acquired');
    const holder = await other.locks.acquire('trace:off', '5s');
    setTimeout(() => void holder.release(), 50);
    try {
      const work = async () => test().startActiveSpan('work', (s) => s.end());
      const run = fresh.locks.withLock('trace:off', work, { retryInterval: '10ms', maxRetries: -1 });
      await expect(run).resolves.toBeUndefined();
      await expect(fresh.locks.tryLock('trace:off:try', '1s').then((h) => h?.release())).resolves.toBe(true);
      expect(fresh.locks.events.listenerCount('acquired')).toBe(listeners);
    } finally {
      await fresh.close();
      register();
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('a contended withLock: acquire and hold spans under the caller; the callback span under the hold', async () => {
    const holder = await other.locks.acquire('trace:contended', '5s');
    setTimeout(() => void holder.release(), 150);
    const options = { name: 'checkout', ttl: '5s', fair: false, retryInterval: '20ms', maxRetries: -1 };
    const { span: request } = await inSpan('POST /checkout', () =>
      app.locks.withLock('trace:contended', async () => test().startActiveSpan('charge card', (s) => s.end()), options),
    );
    const [acquire] = spans('redis_lock.acquire', 'checkout');
    const [hold] = spans('redis_lock.hold', 'checkout');
    const [work] = spans('charge card');
    expect(acquire).toBeDefined();
    expect(hold).toBeDefined();
    expect(parentOf(acquire)).toBe(request.spanContext().spanId);
    expect(parentOf(hold)).toBe(request.spanContext().spanId);
    expect(parentOf(work)).toBe(hold.spanContext().spanId);
    expect(acquire.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(acquire.attributes).toMatchObject({
      'redis_lock.name': 'checkout',
      'redis_lock.mode': 'racing',
      'redis_lock.outcome': 'acquired',
    });
    expect(acquire.attributes['redis_lock.attempts']).toBeGreaterThan(1);
    expect(acquire.attributes['redis_lock.wait_ms']).toBeGreaterThan(0);
    expect(acquire.events.map((e) => e.name)).toContain('redis_lock.retry');
    expect(acquire.status.code).toBe(SpanStatusCode.UNSET);
    expect(hold.status.code).toBe(SpanStatusCode.UNSET);
    // The hold starts when the acquire ends and covers the callback (each span anchors its clock on
    // Date.now(), so times of different spans compare within 2 ms).
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(hold.startTime)).toBeGreaterThanOrEqual(ms(acquire.endTime) - 2);
    expect(ms(hold.endTime)).toBeGreaterThanOrEqual(ms(work.endTime) - 2);
    // The label only: never the key the caller passed (here not the label), the Redis key or the owner token.
    const recorded = JSON.stringify([acquire, hold].map((s) => [s.attributes, s.events]));
    expect(recorded).not.toContain('trace:contended');
    expect(recorded).not.toContain('trace-a:');
    expect(recorded).not.toContain('trace-b:');
  });

  it('read-write locks and semaphores say their kind, wait fairly, and carry their token', async () => {
    await inSpan('report', () => app.locks.withReadLock('trace:rw', async () => 1, { name: 'report' }));
    await inSpan('quota', () =>
      app.locks.semaphore('trace:sem', { permits: 2 }).withPermits(1, async () => 1, { name: 'quota' }),
    );
    const [read] = spans('redis_lock.acquire', 'report');
    const [sem] = spans('redis_lock.acquire', 'quota');
    expect(read.attributes).toMatchObject({ 'redis_lock.kind': 'read', 'redis_lock.mode': 'fair' });
    expect(sem.attributes).toMatchObject({ 'redis_lock.kind': 'semaphore', 'redis_lock.mode': 'fair' });
    const [hold] = spans('redis_lock.hold', 'quota');
    expect(hold.attributes['redis_lock.fence']).toBeGreaterThan(0); // always minted for these kinds
  });

  it('a fair acquisition says mode fair; a minted fence is on both spans, none when not minted', async () => {
    let fence = -1;
    const options = { name: 'fenced', fair: true };
    await inSpan('fenced', () =>
      app.locks.withLock('trace:fence', async (lock) => (fence = await lock.getFence()), options),
    );
    const [acquire] = spans('redis_lock.acquire', 'fenced');
    const [hold] = spans('redis_lock.hold', 'fenced');
    expect(acquire.attributes['redis_lock.mode']).toBe('fair');
    expect(fence).toBeGreaterThan(0);
    expect(hold.attributes['redis_lock.fence']).toBe(fence); // minted during the hold (getFence)
    await inSpan('unfenced', () => app.locks.withLock('trace:nofence', async () => 1, { name: 'unfenced' }));
    const [plain] = spans('redis_lock.hold', 'unfenced');
    expect(plain.attributes['redis_lock.fence']).toBeUndefined(); // never minted
  });

  it('a fair waiter records its place in the queue: on the acquire span (on entry) and on each retry', async () => {
    const raw = redis.client();
    const queued = async (n: number) => {
      while ((await raw.zcard('lynx:lock:{trace:queue}:q')) !== n) await sleep(5);
    };
    const wait = { fair: true, maxRetries: -1, maxElapsedTime: '10s' };
    const holder = await other.locks.acquire('trace:queue', '5s');
    const first = other.locks.withLock('trace:queue', async () => 1, wait); // another process, queued first
    await queued(1);
    const mine = inSpan('queued', () => app.locks.withLock('trace:queue', async () => 2, { ...wait, name: 'queued' }));
    await queued(2);
    await holder.release();
    expect(await first).toBe(1);
    expect((await mine).value).toBe(2);
    const [acquire] = spans('redis_lock.acquire', 'queued');
    expect(acquire.attributes['redis_lock.queue_position']).toBe(1); // one waiter ahead when it queued
    const retries = acquire.events.filter((e) => e.name === 'redis_lock.retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0].attributes?.['redis_lock.queue_position']).toBe(1);
  });

  it('a busy tryLock and a timed-out acquire: outcomes busy and timeout, status error for the timeout', async () => {
    const holder = await other.locks.acquire('trace:busy', '5s');
    try {
      await inSpan('try', async () => expect(await app.locks.tryLock('trace:busy', '1s', { name: 'busy' })).toBeNull());
      const late = { name: 'late', retryInterval: '10ms', maxRetries: 2 };
      await inSpan('wait', () =>
        expect(app.locks.acquire('trace:busy', '1s', late)).rejects.toBeInstanceOf(LockAcquireTimeoutError),
      );
    } finally {
      await holder.release();
    }
    const [busy] = spans('redis_lock.acquire', 'busy');
    expect(busy.attributes).toMatchObject({ 'redis_lock.mode': 'try', 'redis_lock.outcome': 'busy' });
    expect(busy.status.code).toBe(SpanStatusCode.UNSET);
    const [late] = spans('redis_lock.acquire', 'late');
    expect(late.attributes['redis_lock.outcome']).toBe('timeout');
    expect(late.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'timeout' });
    expect(spans('redis_lock.hold', 'busy')).toEqual([]);
    expect(spans('redis_lock.hold', 'late')).toEqual([]);
  });

  it('a lost lock: the hold span ends with status error and a lost event naming the reason', async () => {
    const handle = await app.locks.acquire('trace:lost', '5s', { name: 'lost-manual' });
    const admin = redis.client();
    const keys = await admin.keys('*trace:lost*');
    expect(keys.length).toBeGreaterThan(0);
    await admin.del(...keys);
    await expect(handle.renew()).rejects.toBeInstanceOf(LockLostError);
    const [hold] = spans('redis_lock.hold', 'lost-manual');
    expect(hold.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'lost: refused' });
    const lostEvent = (span: ReadableSpan) => span.events.find((e) => e.name === 'redis_lock.lost')?.attributes;
    expect(lostEvent(hold)).toEqual({ 'redis_lock.lost.reason': 'refused' });
    await handle.release();
    expect(spans('redis_lock.hold', 'lost-manual')).toHaveLength(1);

    // A withLock whose TTL ran out under the callback (no renewal): reported at release.
    const unrenewed = { name: 'lost-callback', ttl: '100ms', renewalEnabled: false };
    await app.locks.withLock('trace:expired', () => sleep(250), unrenewed);
    const [expired] = spans('redis_lock.hold', 'lost-callback');
    expect(expired.status.code).toBe(SpanStatusCode.ERROR);
    expect(lostEvent(expired)).toEqual({ 'redis_lock.lost.reason': 'expired' });
  });

  it('a renewal that cannot reach Redis adds a renewal_failed event to the hold span', async () => {
    const own = await startRedisServer();
    const lock = { commandTimeout: '150ms', renewalInterval: '50ms' };
    const addrs = [`127.0.0.1:${own.port}`];
    const stalled = await createLockApp({ addrs, instanceId: 'trace-c', name: 'stalled', lock });
    try {
      await stalled.locks.withLock(
        'trace:renew',
        async (lock) => {
          own.pause();
          await sleep(1300); // the renewal at half the TTL times out at least once
          own.resume();
          await sleep(600); // a later renewal succeeds
          expect(lock.isHeld()).toBe(true);
        },
        { name: 'renewed', ttl: '2s' },
      );
    } finally {
      own.resume();
      await stalled.close();
      await own.stop();
    }
    const [hold] = spans('redis_lock.hold', 'renewed');
    expect(hold.events.map((e) => e.name)).toContain('redis_lock.renewal_failed');
    expect(hold.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a tracing SDK that throws loses spans, never a lock: calls resolve and locks are released', async () => {
    const broken = new BasicTracerProvider({
      spanProcessors: [
        {
          onStart: () => {
            throw new Error('broken processor');
          },
          onEnd: () => {
            throw new Error('broken processor');
          },
          forceFlush: async () => undefined,
          shutdown: async () => undefined,
        },
      ],
    });
    trace.disable();
    trace.setGlobalTracerProvider(broken);
    try {
      await expect(app.locks.withLock('trace:broken', async () => 'ok', { name: 'broken' })).resolves.toBe('ok');
      const handle = await app.locks.tryLock('trace:broken', '1s');
      expect(handle).not.toBeNull();
      await expect(handle!.release()).resolves.toBe(true);
      expect((await app.locks.inspect('trace:broken')).held).toBe(false);
    } finally {
      trace.disable();
      trace.setGlobalTracerProvider(provider);
    }
  });

  it('withLocks (keys taken in one script): acquire and hold spans per key, the callback inside a hold', async () => {
    await inSpan('transfer', () =>
      app.locks.withLocks(['trace:m1', 'trace:m2'], async () => test().startActiveSpan('ledger', (s) => s.end()), {
        name: 'transfer',
      }),
    );
    const [transfer] = spans('transfer');
    const acquires = spans('redis_lock.acquire', 'transfer');
    const holds = spans('redis_lock.hold', 'transfer');
    expect(acquires).toHaveLength(2);
    expect(holds).toHaveLength(2);
    for (const span of [...acquires, ...holds]) expect(parentOf(span)).toBe(transfer.spanContext().spanId);
    for (const acquire of acquires) {
      expect(acquire.attributes).toMatchObject({ 'redis_lock.mode': 'multi', 'redis_lock.outcome': 'acquired' });
    }
    const [ledger] = spans('ledger');
    expect(holds.map((h) => h.spanContext().spanId)).toContain(parentOf(ledger));
  });

  it("@WithLock({ onLocked: 'skip' }) adds a skipped event to the caller's span", async () => {
    const jobs = app.module.get(NightlyJobs);
    const holder = await other.locks.acquire('job:nightly', '5s');
    try {
      const { span, value } = await inSpan('cron tick', () => jobs.run());
      expect(value).toBeUndefined();
      const [tick] = exporter.getFinishedSpans().filter((s) => s.spanContext().spanId === span.spanContext().spanId);
      const skipped = tick.events.find((e) => e.name === 'redis_lock.skipped');
      expect(skipped?.attributes).toEqual({ 'redis_lock.name': 'nightly', 'redis_lock.outcome': 'skip' });
    } finally {
      await holder.release();
    }
    expect(jobs.runs).toBe(0);
  });
});
