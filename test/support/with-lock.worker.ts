// A separate process for the multi-process tests of @WithLock, cron locking and deadlock detection.
// Run: node --import ./test/support/ts-register.mjs test/support/with-lock.worker.ts '<json task>'
// Prints one JSON line with the result on stdout, then exits.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule } from '@nestjs/schedule';
import { Redis } from 'ioredis';
import { DeadlockError, LockService, RedisLockModule, WithLock } from '@lynx-nest/redis-lock';

interface Task {
  mode: 'increment' | 'cron' | 'deadlock';
  port: number;
  prefix: string;
  /** increment: calls to make, all concurrently, for `item`. */
  calls?: number;
  item?: string;
  /** cron: how long to keep the scheduler running (ms). */
  runMs?: number;
  /** deadlock: the outer and inner key, and this worker's id. */
  first?: string;
  second?: string;
  id?: string;
}

const task = JSON.parse(process.argv[2]) as Task;
const redis = new Redis({ port: task.port, host: '127.0.0.1', lazyConnect: false });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Non-atomic read-modify-write on a Redis counter: loses updates unless calls are serialised. */
@Injectable()
class Counter {
  @WithLock('item:{0}', { ttl: '5s', maxRetries: -1, maxElapsedTime: '60s', retryInterval: '5ms' })
  async increment(item: string): Promise<number> {
    const value = Number((await redis.get(`${task.prefix}count:${item}`)) ?? '0');
    await sleep(1);
    await redis.set(`${task.prefix}count:${item}`, String(value + 1));
    return value + 1;
  }
}

/** The ShedLock use case: every instance schedules the job, one runs each tick. */
@Injectable()
class Report {
  runs = 0;
  @Cron('* * * * * *')
  @WithLock('job:report', { onLocked: 'skip', lockAtMostFor: '10s', lockAtLeastFor: '700ms' })
  async tick(): Promise<void> {
    this.runs++;
    await redis.rpush(`${task.prefix}ticks`, `${Math.floor(Date.now() / 1000)}:${process.pid}`);
  }
}

@Module({
  imports: [
    RedisLockModule.forRoot({
      addrs: [`127.0.0.1:${task.port}`],
      keyPrefix: task.prefix,
      monitoring: { healthCheckInterval: 0 },
    }),
    ...(task.mode === 'cron' ? [ScheduleModule.forRoot()] : []),
  ],
  providers: task.mode === 'cron' ? [Report] : [Counter],
})
class WorkerModule {}

async function main(): Promise<unknown> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  try {
    if (task.mode === 'increment') {
      const counter = app.get(Counter);
      await redis.incr(`${task.prefix}ready`);
      while (Number(await redis.get(`${task.prefix}ready`)) < 2) await sleep(5); // start together
      const results = await Promise.allSettled(
        Array.from({ length: task.calls! }, () => counter.increment(task.item!)),
      );
      const failures = results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason));
      return { done: results.length - failures.length, failures };
    }
    if (task.mode === 'cron') {
      await sleep(task.runMs!);
      return { runs: app.get(Report).runs, skipped: app.get(LockService).getStatistics().totalSkipped };
    }
    // deadlock: take `first`, wait until the peer holds its first key, then take `second`, nested.
    const locks = app.get(LockService);
    const started = { at: 0 };
    try {
      const value = await locks.withLock(
        task.first!,
        async () => {
          await redis.incr(`${task.prefix}holding`);
          while (Number(await redis.get(`${task.prefix}holding`)) < 2) await sleep(5);
          started.at = performance.now();
          return locks.withLock(task.second!, async () => 'both', {
            maxRetries: -1,
            maxElapsedTime: '20s',
            retryInterval: '100ms',
          });
        },
        { ttl: '30s' },
      );
      return { outcome: value, waitedMs: performance.now() - started.at };
    } catch (error) {
      const e = error as Error;
      return {
        outcome: e instanceof DeadlockError ? 'deadlock' : e.name,
        keys: e instanceof DeadlockError ? e.keys : undefined,
        message: e.message,
        waitedMs: performance.now() - started.at,
      };
    }
  } finally {
    await app.close();
  }
}

main()
  .then((result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    redis.disconnect();
  })
  .catch((error) => {
    process.stdout.write(`${JSON.stringify({ error: String(error?.stack ?? error) })}\n`);
    redis.disconnect();
    process.exitCode = 1;
  });
