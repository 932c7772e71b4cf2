import 'reflect-metadata';
import { RedisService } from '@liaoliaots/nestjs-redis';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LockService } from '@lynx-nest/redis-lock';
import { incrementConcurrently, startRedisServer, type RedisServer } from 'consumer-redis-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_NAMESPACE } from '../src/app.constants.js';
import { AppModule } from '../src/app.module.js';

describe('Nest 12 ESM app, lock module on the @liaoliaots/nestjs-redis client (tarball install)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ host: '127.0.0.1', port: redis.port })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('100 concurrent @WithLock read-modify-writes over HTTP give the exact count, fences rising', async () => {
    const run = await incrementConcurrently(url, 100);
    expect(run.statuses).toEqual(Array(100).fill(201));
    expect(run.values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(run.fencesRise).toBe(true);
    expect(run.final).toBe(100);
  });

  it('locks live on the app client: same connection, lock keys under the default prefix', async () => {
    const shared = app.get(RedisService).getOrThrow(REDIS_NAMESPACE);
    const locks = app.get(LockService);
    await locks.withLock('probe', async () => {
      expect(await shared.exists('lynx:lock:{probe}')).toBe(1);
    });
    expect(await shared.exists('lynx:lock:{probe}')).toBe(0);
  });

  it('GET /health is 200 with the lock backend up', async () => {
    const response = await fetch(`${url}/health`);
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info['redis-lock']).toMatchObject({ status: 'up', probe: 'ok' });
  });
});
