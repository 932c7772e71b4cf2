import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { runTsWorker } from './support/run-worker.js';

// ShedLock's use case: two instances schedule `@Cron('* * * * * *')` with
// `@WithLock('job:report', { onLocked: 'skip', lockAtMostFor: '10s', lockAtLeastFor: '700ms' })`.
describe('locked @Cron job across two processes', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('runs each tick exactly once overall', async () => {
    const task = { mode: 'cron', port: redis.port, prefix: 'cron:', runMs: 5000 };
    const worker = () => runTsWorker<{ runs: number; skipped: number }>('test/support/with-lock.worker.ts', task);
    const [a, b] = await Promise.all([worker(), worker()]);
    const client = redis.client();
    const entries = await client.lrange('cron:ticks', 0, -1);
    client.disconnect();
    const ticks = entries.map((e) => e.split(':')[0]);
    console.log(`runs a=${a.runs} b=${b.runs}, skipped a=${a.skipped} b=${b.skipped}, ticks=${ticks.length}`);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length); // no tick ran twice
    expect(a.runs + b.runs).toBe(ticks.length);
    // Both instances fired on the ticks they shared; the one that lost each race skipped it.
    expect(a.skipped + b.skipped).toBeGreaterThanOrEqual(2);
  });
});
