import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DeadlockError,
  InvalidLockKeyError,
  InvalidLockOptionsError,
  LockAcquireTimeoutError,
  LockBackendError,
  LockLostError,
  LockNotHeldError,
  LockShutdownError,
  LOCK_STORE,
  type LockHandle,
  type LockStore,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LockService against a real redis-server', () => {
  let redis: RedisServer;
  let app: LockApp;
  let other: LockApp;
  const lost: LockLostError[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const base = { addrs: [`127.0.0.1:${redis.port}`], lock: { commandTimeout: '500ms' } };
    app = await createLockApp({ ...base, instanceId: 'app-a', onLockLost: (e) => lost.push(e) });
    other = await createLockApp({ ...base, instanceId: 'app-b' });
  });
  afterEach(() => closeClients());
  afterAll(async () => {
    await app?.close();
    await other?.close();
    await redis?.stop();
  });

  it('runs the callback with the handle and returns its result; the seed functions work', async () => {
    const value = await app.locks.lock('seed:lock', '5s', (lock) => {
      expect(lock.getKey()).toBe('seed:lock');
      expect(lock.getValue()).toMatch(/^app-a:[0-9a-f]{44}$/); // 128 random bits and the store's owner tag
      return 42;
    });
    expect(value).toBe(42);
    await expect(
      app.locks.lockWithOptions('seed:opts', { expiration: '5s', maxRetries: 1, retryInterval: 10 }, async (l) =>
        l.isHeld(),
      ),
    ).resolves.toBe(true);
    const err = new Error('boom');
    await expect(app.locks.lock('seed:err', 1000, () => Promise.reject(err))).rejects.toBe(err);
    expect((await app.locks.inspect('seed:err')).held).toBe(false);
  });

  it('reentrant nesting increments the hold count and releases only at the outermost level', async () => {
    await app.locks.lockReentrant('re:1', '5s', async (outer) => {
      expect(outer.holdCount).toBe(1);
      await app.locks.lockReentrant('re:1', '5s', async (inner) => {
        expect(inner.holdCount).toBe(2);
        expect(inner.fence).toBe(outer.fence);
        expect((await app.locks.inspect('re:1')).holdCount).toBe(2);
      });
      const info = await app.locks.inspect('re:1');
      expect(info).toMatchObject({ held: true, holdCount: 1, owner: 'app-a', heldByThisInstance: true });
      // A second owner (another instance, and another async context of this one) must wait.
      expect(await other.locks.tryLock('re:1')).toBeNull();
      expect(await app.locks.tryLock('re:1')).toBeNull();
    });
    expect((await app.locks.inspect('re:1')).held).toBe(false);
  });

  it('a concurrent call in another async context of the same process waits like any owner', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = app.locks.withLock('re:ctx', async () => {
      order.push('first-in');
      await new Promise<void>((r) => (releaseFirst = r));
      order.push('first-out');
    });
    await sleep(20);
    const second = app.locks.withLock('re:ctx', async () => order.push('second'), { maxRetries: -1 });
    await sleep(50);
    expect(order).toEqual(['first-in']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first-in', 'first-out', 'second']);
  });

  it('a non-reentrant lock on a key the context holds fails fast with DeadlockError', async () => {
    const started = performance.now();
    await expect(
      app.locks.lock('dl:self', '5s', () => app.locks.lock('dl:self', '5s', () => 1)),
    ).rejects.toBeInstanceOf(DeadlockError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('tryLock returns null at once when held; acquire is woken by the release message', async () => {
    const held = await other.locks.acquire('wake:1', '10s');
    expect(await app.locks.tryLock('wake:1', '10s')).toBeNull();
    // Retry interval 2 s: only a release message can make the hand-over fast.
    const waiting = app.locks.acquire('wake:1', '10s', { retryStrategy: 'fixed', retryInterval: '2s', maxRetries: 5 });
    await sleep(100);
    const releasedAt = performance.now();
    await held.release();
    const handle = await waiting;
    const handOver = performance.now() - releasedAt;
    expect(handle.isHeld()).toBe(true);
    expect(handOver).toBeLessThan(1000); // far below the 2 s retry interval
    await handle.release();
  });

  it('acquire gives up with LockAcquireTimeoutError after maxRetries', async () => {
    const held = await other.locks.acquire('busy:1', '10s');
    const error = await app.locks
      .acquire('busy:1', '10s', { maxRetries: 2, retryStrategy: 'fixed', retryInterval: 20 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LockAcquireTimeoutError);
    expect(error.attempts).toBeGreaterThanOrEqual(3);
    await held.release();
  });

  it('an AbortSignal cancels waiting', async () => {
    const held = await other.locks.acquire('abort:1', '10s');
    const controller = new AbortController();
    const waiting = app.locks.acquire('abort:1', '10s', { maxRetries: -1, signal: controller.signal }).catch((e) => e);
    await sleep(50);
    controller.abort(new Error('user gave up'));
    expect((await waiting).message).toBe('user gave up');
    await held.release();
  });

  it('a lock held for 3x its TTL with renewal on stays held', async () => {
    await app.locks.withLock(
      'renew:1',
      async (lock) => {
        await sleep(900);
        expect(lock.isHeld()).toBe(true);
        expect(lock.signal.aborted).toBe(false);
        expect(await other.locks.tryLock('renew:1')).toBeNull();
      },
      { ttl: 300, renewalThreshold: 0.5 },
    );
  });

  it('a lock deleted behind its back is signalled as lost (signal, LockLostError, onLockLost)', async () => {
    const admin = redis.client();
    lost.length = 0;
    let seen: unknown;
    await app.locks.withLock(
      'lost:1',
      async (lock) => {
        await admin.del('lynx:lock:{lost:1}');
        await new Promise((resolve) => lock.signal.addEventListener('abort', resolve, { once: true }));
        seen = lock.signal.reason;
        expect(lock.isHeld()).toBe(false);
        await expect(lock.renew()).rejects.toBeInstanceOf(LockLostError);
      },
      { ttl: 400 },
    );
    expect(seen).toBeInstanceOf(LockLostError);
    expect((seen as LockLostError).reason).toBe('refused');
    expect(lost.map((e) => e.key)).toContain('lost:1');
    expect(app.locks.getStatistics().totalLost).toBeGreaterThanOrEqual(1);
  });

  it('a lock without renewal is signalled as expired when its TTL passes', async () => {
    const handle = await app.locks.acquire('exp:1', 150);
    await new Promise((resolve) => handle.signal.addEventListener('abort', resolve, { once: true }));
    expect((handle.signal.reason as LockLostError).reason).toBe('expired');
    await sleep(30); // local validity ends a drift margin before Redis expires the key
    expect(await handle.release()).toBe(false);
    await expect(handle.renew()).rejects.toBeInstanceOf(LockLostError);
  });

  it('a release that finds the lock already gone aborts the signal (lost while the section ran, before the watchdog saw it)', async () => {
    const admin = redis.client();
    const handle = await app.locks.acquire('gone:1', '30s');
    await admin.del('lynx:lock:{gone:1}'); // as if it expired while this process was paused
    expect(handle.signal.aborted).toBe(false);
    expect(await handle.release()).toBe(false);
    expect(handle.signal.aborted).toBe(true);
    expect(handle.signal.reason).toBeInstanceOf(LockLostError);
    expect(handle.isHeld()).toBe(false);
  });

  it('manual renew, getExpiration, release idempotence, and LockNotHeldError after release', async () => {
    const handle = await app.locks.acquire('manual:1', '2s');
    expect(await handle.getExpiration()).toBeGreaterThan(1000);
    await handle.renew('10s');
    expect(await handle.getExpiration()).toBeGreaterThan(8000);
    expect(await handle.release()).toBe(true);
    expect(await handle.release()).toBe(true);
    expect(handle.isHeld()).toBe(false);
    expect(await handle.getExpiration()).toBe(0);
    await expect(handle.renew()).rejects.toBeInstanceOf(LockNotHeldError);
  });

  it('fencing tokens strictly increase, also after a restart without persistence', async () => {
    const fences: number[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await app.locks.acquire('fence:1', '5s');
      fences.push(await h.getFence());
      await h.release();
    }
    await redis.restart();
    await vi.waitFor(
      async () => {
        const h = await app.locks.acquire('fence:1', '5s');
        fences.push(await h.getFence());
        await h.release();
      },
      { timeout: 10_000, interval: 200 },
    );
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]);
  });

  it('getFence() mints once and caches; fence: true mints in the acquire; tokens rise in both modes', async () => {
    const lazy = await app.locks.acquire('fence:2', '5s');
    expect(lazy.fence).toBeUndefined(); // not minted by the uncontended acquire
    const [first, again] = await Promise.all([lazy.getFence(), lazy.getFence()]);
    expect(again).toBe(first);
    expect(lazy.fence).toBe(first);
    expect((await app.locks.inspect('fence:2')).fence).toBe(first);
    await lazy.release();
    expect(await lazy.getFence()).toBe(first); // known before the release: still answered
    const eager = await other.locks.acquire('fence:2', '5s', { fence: true });
    expect(eager.fence).toBeGreaterThan(first);
    await expect(eager.getFence()).resolves.toBe(eager.fence);
    await eager.release();
    const nested = await app.locks.withLock('fence:2', (outer) =>
      app.locks.withLock('fence:2', async (hold) => [outer.fence, await hold.getFence(), outer.fence], {
        fence: false,
      }),
    );
    expect(nested[0]).toBeUndefined();
    expect(nested[1]).toBeGreaterThan(eager.fence!);
    expect(nested[2]).toBe(nested[1]); // a reentrant hold shares its holding's token
  });

  it('the uncontended acquire is a bare SET; one this process already waits for skips it (straight to the script)', async () => {
    const store = app.module.get<LockStore>(LOCK_STORE);
    const claim = vi.spyOn(store, 'claim');
    try {
      const options = { maxRetries: -1, maxElapsedTime: '10s' };
      const free = await app.locks.acquire('skip:0', '10s');
      expect(claim).toHaveBeenCalledTimes(1); // free: the bare SET took it
      await free.release();
      const held = await other.locks.acquire('skip:1', '10s');
      const first = app.locks.acquire('skip:1', '10s', options); // bare SET (busy), then the script; subscribes
      await vi.waitFor(async () => expect((await app.locks.inspect('skip:1')).waiters).toBe(1));
      expect(claim).toHaveBeenCalledTimes(2);
      const second = app.locks.acquire('skip:1', '10s', options); // this process waits for it already: no SET
      await vi.waitFor(async () => expect((await app.locks.inspect('skip:1')).waiters).toBe(2));
      expect(claim).toHaveBeenCalledTimes(2);
      await held.release();
      await (await first).release();
      await (await second).release();
    } finally {
      claim.mockRestore();
    }
  });

  it('getFence() on a lost lock rejects with LockLostError, and after a release with LockNotHeldError', async () => {
    const handle = await app.locks.acquire('fence:lost', '5s');
    await redis.client().del('lynx:lock:{fence:lost}'); // the lock is gone (as after a TTL ran out)
    const error = await handle.getFence().catch((e) => e);
    expect(error).toBeInstanceOf(LockLostError);
    expect(handle.signal.aborted).toBe(true);
    expect(handle.fence).toBeUndefined();
    // Another owner's token is unaffected and a stale holder never got one.
    const next = await other.locks.acquire('fence:lost', '5s');
    expect(await next.getFence()).toBeGreaterThan(0);
    await expect(handle.getFence()).rejects.toBeInstanceOf(LockLostError);
    await next.release();
    const released = await app.locks.acquire('fence:released', '5s');
    await released.release();
    await expect(released.getFence()).rejects.toBeInstanceOf(LockNotHeldError);
  });

  it('with redis-server stopped, acquire rejects with LockBackendError within the command timeout, then recovers', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const held = await app.locks.acquire('down:renew', '2s', { renewalEnabled: true });
      await redis.kill();
      const started = performance.now();
      const error = await app.locks.acquire('down:1', '5s').catch((e) => e);
      expect(error).toBeInstanceOf(LockBackendError);
      expect(performance.now() - started).toBeLessThan(1500); // command timeout is 500 ms
      expect(await app.locks.tryLock('down:2').catch((e) => e)).toBeInstanceOf(LockBackendError);
      expect((await app.locks.checkHealth()).status).toBe('down');
      await sleep(300);
      await redis.restart();
      await vi.waitFor(
        async () => {
          const h = await app.locks.acquire('down:3', '5s');
          await h.release();
        },
        { timeout: 10_000, interval: 200 },
      );
      expect((await app.locks.checkHealth()).status).toBe('up');
      await held.release().catch(() => undefined);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('with redis-server paused (SIGSTOP), acquire rejects with LockBackendError after about the command timeout, never hangs', async () => {
    redis.pause();
    try {
      const started = performance.now();
      const error = await app.locks.acquire('paused:1', '5s').catch((e) => e);
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(LockBackendError);
      expect(took).toBeLessThan(1500); // command timeout 500 ms
    } finally {
      redis.resume();
    }
    await vi.waitFor(async () => (await app.locks.acquire('paused:2', '5s')).release(), {
      timeout: 10_000,
      interval: 200,
    });
  });

  it('invalid keys and options give typed errors naming the field', async () => {
    for (const key of ['', 'a{b}', 'x}', 'bad\nkey', 'x'.repeat(600), 42 as unknown as string]) {
      await expect(app.locks.tryLock(key)).rejects.toBeInstanceOf(InvalidLockKeyError);
    }
    const err = await app.locks.acquire('ok', -5).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidLockOptionsError);
    expect(err.problems[0].path).toBe('options.expiration');
    const many = await app.locks
      .withLock('ok', () => 1, { ttl: 'soon', renewalThreshold: 7, maxRetries: 1.5, bogus: 1 } as never)
      .catch((e) => e);
    expect(many).toBeInstanceOf(InvalidLockOptionsError);
    expect(many.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      'options.bogus',
      'options.maxRetries',
      'options.renewalThreshold',
      'options.ttl',
    ]);
    expect(app.locks.getStatistics().failuresByReason.invalid_key).toBeGreaterThanOrEqual(6);
  });

  it('a bad configuration fails start-up listing every bad field', async () => {
    const error = await createLockApp({
      addrs: ['127.0.0.1:1'],
      lock: {
        defaultTimeout: 'forever',
        renewalThreshold: 3,
        maxRetries: -7,
        retryStrategy: { type: 'random' as never },
      },
      keyPrefix: 'a{b}',
      unknownField: true,
    } as never).catch((e) => e);
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    const paths = (error as InvalidLockOptionsError).problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      'keyPrefix',
      'lock.defaultTimeout',
      'lock.maxRetries',
      'lock.renewalThreshold',
      'lock.retryStrategy.type',
      'unknownField',
    ]);
  });

  it('app.close() with a lock held releases it in Redis and refuses new locks', async () => {
    const local = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], shutdown: { gracePeriod: 200 } });
    const held: LockHandle = await local.locks.acquire('close:1', '30s');
    let sectionSignal: AbortSignal | undefined;
    const section = local.locks.withLock(
      'close:2',
      async (lock) => {
        sectionSignal = lock.signal;
        await sleep(2000);
      },
      { ttl: '30s' },
    );
    await sleep(50);
    expect((await other.locks.inspect('close:1')).held).toBe(true);
    await local.close();
    expect((await other.locks.inspect('close:1')).held).toBe(false);
    expect((await other.locks.inspect('close:2')).held).toBe(false);
    expect(sectionSignal?.aborted).toBe(true);
    expect(held.isHeld()).toBe(false);
    await expect(local.locks.tryLock('close:3')).rejects.toBeInstanceOf(LockShutdownError);
    await section;
  });

  it('statistics count what happened', async () => {
    const before = app.locks.getStatistics();
    await app.locks.withLock('stats:1', () => undefined);
    const after = app.locks.getStatistics();
    expect(after.totalAcquired - before.totalAcquired).toBe(1);
    expect(after.totalReleased - before.totalReleased).toBe(1);
    expect(after.activeLocks).toBe(0);
  });
});
