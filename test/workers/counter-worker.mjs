// Child process for test/multiprocess-counter.e2e-spec.ts: increments a shared Redis counter with a
// deliberately non-atomic GET / SET inside the lock, using the BUILT package as an app would.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { LockService, RedisLockModule } from '@lynx-nest/redis-lock';

const [port, iterations] = process.argv.slice(2).map(Number);

class WorkerModule {}
Module({
  imports: [RedisLockModule.forRoot({ addrs: [`127.0.0.1:${port}`], monitoring: { healthCheckInterval: 0 } })],
})(WorkerModule);

const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
const locks = app.get(LockService);
const redis = new Redis({ port, host: '127.0.0.1' });
for (let i = 0; i < iterations; i++) {
  await locks.lockWithOptions('counter', { expiration: '5s', maxRetries: -1, maxElapsedTime: '60s' }, async () => {
    const value = Number((await redis.get('counter')) ?? 0);
    await new Promise((r) => setImmediate(r));
    await redis.set('counter', String(value + 1));
  });
}
redis.disconnect();
await app.close();
process.stdout.write('done\n');
