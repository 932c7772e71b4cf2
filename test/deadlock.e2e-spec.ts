import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlockError, type LockService } from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { runTsWorker } from './support/run-worker.js';
import { waitedIn } from './support/lock-value.js';
import { until } from './support/until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const WAIT = { maxRetries: -1, maxElapsedTime: '20s', retryInterval: '100ms' } as const;

/** Holds `first`, waits until every participant holds its first key, then takes `second` (nested). */
async function nested(locks: LockService, first: string, second: string, barrier: { count: number; needed: number }) {
  const started = { at: 0 };
  try {
    const value = await locks.withLock(first, async () => {
      barrier.count++;
      while (barrier.count < barrier.needed) await sleep(5);
      started.at = performance.now();
      return locks.withLock(second, async () => 'both', WAIT);
    });
    return { outcome: value, ms: performance.now() - started.at };
  } catch (error) {
    return {
      outcome: error instanceof DeadlockError ? 'deadlock' : String(error),
      keys: (error as DeadlockError).keys,
      ms: performance.now() - started.at,
    };
  }
}

describe('deadlock detection', () => {
  let redis: RedisServer;
  let app: LockApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], keyPrefix: 'dl:' });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('two processes taking a then b and b then a: one gets DeadlockError naming both keys, the other proceeds', async () => {
    const base = { mode: 'deadlock', port: redis.port, prefix: 'xp:' };
    type Outcome = { outcome: string; waitedMs: number; keys: string[]; message: string };
    const [p1, p2] = await Promise.all([
      runTsWorker<Outcome>('test/support/with-lock.worker.ts', { ...base, first: 'a', second: 'b', id: 'p1' }),
      runTsWorker<Outcome>('test/support/with-lock.worker.ts', { ...base, first: 'b', second: 'a', id: 'p2' }),
    ]);
    console.log(
      `p1 ${p1.outcome} after ${p1.waitedMs.toFixed(0)} ms; p2 ${p2.outcome} after ${p2.waitedMs.toFixed(0)} ms`,
    );
    const outcomes = [p1.outcome, p2.outcome].sort();
    expect(outcomes).toEqual(['both', 'deadlock']); // no timeout: detected long before maxElapsedTime (20 s)
    const victim = p1.outcome === 'deadlock' ? p1 : p2;
    expect([...victim.keys].sort()).toEqual(['a', 'b']);
    expect(victim.message).toContain('Deadlock on');
    // Exactly one victim, chosen the same way by both: the owner waiting for the greatest key (p1 waits for "b").
    expect(victim).toBe(p1);
  });

  it('detects a three-owner cycle in one process; exactly one gives up', async () => {
    const barrier = { count: 0, needed: 3 };
    const results = await Promise.all([
      nested(app.locks, 'c1', 'c2', barrier),
      nested(app.locks, 'c2', 'c3', barrier),
      nested(app.locks, 'c3', 'c1', barrier),
    ]);
    console.log(results.map((r) => `${r.outcome} ${r.ms.toFixed(0)} ms`).join(', '));
    expect(results.map((r) => r.outcome).sort()).toEqual(['both', 'both', 'deadlock']);
    const victim = results.find((r) => r.outcome === 'deadlock')!;
    expect([...victim.keys!].sort()).toEqual(['c1', 'c2', 'c3']);
    expect(results[1].outcome).toBe('deadlock'); // it waits for c3, the greatest key of the cycle
  });

  it('no false alarm when the holder is busy but not waiting for us', async () => {
    const holder = await app.locks.acquire('free:b', '5s');
    const waiter = app.locks.withLock('free:a', () => app.locks.withLock('free:b', async () => 'got it', WAIT));
    await sleep(300);
    await holder.release();
    expect(await waiter).toBe('got it');
  });

  it('a context holding nothing records nothing (no extra commands when it waits)', async () => {
    const client = redis.client();
    const holder = await app.locks.acquire('plain:x', '5s');
    const waiter = app.locks.withLock('plain:x', async () => 'ok', WAIT);
    await sleep(150);
    expect(await client.exists('dl:{plain:x}:w')).toBe(0);
    await holder.release();
    expect(await waiter).toBe('ok');
    client.disconnect();
  });

  it('records the wait in the locks the waiter holds, and withdraws it afterwards', async () => {
    const client = redis.client();
    const holder = await app.locks.acquire('rec:b', '5s');
    const recorded = async () => waitedIn(await client.get('dl:{rec:a}:w'));
    const waiter = app.locks.withLock('rec:a', () =>
      app.locks.withLock(
        'rec:b',
        async () => {
          // The withdrawal is sent, not awaited, when the wait ends: it reaches Redis soon after.
          await until(async () => (await recorded()) === null, 2000);
          return 'withdrawn while rec:a is still held';
        },
        WAIT,
      ),
    );
    await sleep(150);
    expect(await recorded()).toBe('rec:b');
    await holder.release();
    expect(await waiter).toBe('withdrawn while rec:a is still held');
    client.disconnect();
  });
});
