import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LockService } from '@lynx-nest/redis-lock';
import { AppModule } from './app.module.js';
import { resolveDemoBackend } from './redis-bootstrap.js';

const logger = new Logger('Demo');
const backend = await resolveDemoBackend();
const app = await NestFactory.createApplicationContext(AppModule.register(backend));
const locks = app.get(LockService);

const result = await locks.withLock('demo:hello', async (lock) => {
  logger.log(`Holding "${lock.getKey()}" with fencing token ${lock.fence}`);
  const nested = await locks.withLock('demo:hello', async (inner) => inner.holdCount);
  logger.log(`Reentrant hold inside the callback: hold count ${nested}`);
  return (await locks.inspect('demo:hello')).ttlMs;
});
logger.log(`Released; it had ${result} ms of TTL left. Statistics: ${JSON.stringify(locks.getStatistics())}`);
await app.close();
backend.stop();
