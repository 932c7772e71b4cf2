import 'reflect-metadata';
import { Controller, Get, type INestApplication, NotFoundException, Param } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadlockError,
  InvalidLockKeyError,
  LOCK_EXCEPTION_FILTER_OPTIONS,
  LockAcquireTimeoutError,
  LockBackendError,
  LockExceptionFilter,
  LockLostError,
  LockService,
  LockShutdownError,
  RedisLockModule,
} from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// LockExceptionFilter over real HTTP (Express, app.listen(0), fetch): lock errors become 409 / 503 / 400
// with a JSON body naming the lock; everything else keeps Nest's default answer.

const thrown: Record<string, () => Error> = {
  timeout: () => new LockAcquireTimeoutError('order:42', 3, 120),
  deadlock: () => new DeadlockError(['a', 'b', 'a'], 'a cycle'),
  backend: () => new LockBackendError('acquire', 'connect ECONNREFUSED 10.1.2.3:6380', 'order:42'),
  breaker: () =>
    new LockBackendError(
      'acquire',
      'circuit breaker open after 5 consecutive backend failures; retrying the backend every 1000 ms',
      'order:42',
    ),
  shutdown: () => new LockShutdownError('order:42'),
  'invalid-key': () => new InvalidLockKeyError('key', 'must not contain "{" or "}"', 'a{b}'),
  lost: () => new LockLostError('order:42', 'expired'),
  plain: () => new Error('boom'),
  'not-found': () => new NotFoundException('no such order'),
};

@Controller()
class ProbeController {
  constructor(private readonly locks: LockService) {}

  @Get('throw/:kind')
  throwIt(@Param('kind') kind: string): never {
    throw thrown[kind]!();
  }

  @Get('quotes')
  quote() {
    return this.locks.semaphore('partner', { permits: 1 }).withPermits(1, async () => 'quoted', { maxRetries: 0 });
  }

  @Get('orders/:id')
  order(@Param('id') id: string): Promise<string> {
    return this.locks.withLock(`order:${id}`, async () => 'done', { maxRetries: 0 });
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  type: string | null;
  body: Record<string, unknown>;
}

async function call(base: string, path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`);
  const body = (await res.json()) as Record<string, unknown>;
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    type: res.headers.get('content-type'),
    body,
  };
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

describe('LockExceptionFilter, installed with app.useGlobalFilters(new LockExceptionFilter())', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot()],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new LockExceptionFilter());
    base = await listen(app);
  });
  afterAll(() => app?.close());

  it('busy (LockAcquireTimeoutError) → 409 with the lock name', async () => {
    const r = await call(base, '/throw/timeout');
    expect(r.status).toBe(409);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'timeout',
      message: expect.stringContaining('"order:42"'),
      lock: 'order:42',
    });
    expect(r.retryAfter).toBeNull();
  });

  it('a lock held elsewhere, for real: 409 from withLock through the filter', async () => {
    const held = await app.get(LockService).acquire('order:7', '10s');
    try {
      const r = await call(base, '/orders/7');
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'timeout', lock: 'order:7' });
    } finally {
      await held.release();
    }
    expect((await fetch(`${base}/orders/7`)).status).toBe(200);
  });

  it('a semaphore with no free permit → 429 Too Many Requests naming the semaphore', async () => {
    const permit = await app.get(LockService).semaphore('partner', { permits: 1 }).acquire(1, { ttl: '10s' });
    try {
      const r = await call(base, '/quotes');
      expect(r.status).toBe(429);
      expect(r.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'timeout',
        message: expect.stringContaining('"partner"'),
        lock: 'partner',
      });
    } finally {
      await permit.release();
    }
    expect((await fetch(`${base}/quotes`)).status).toBe(200);
  });

  it('DeadlockError → 409', async () => {
    const r = await call(base, '/throw/deadlock');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'deadlock', lock: 'a' });
  });

  it('Redis down, breaker open, shutting down → 503 with Retry-After, and no Redis address in the body', async () => {
    for (const kind of ['backend', 'breaker', 'shutdown']) {
      const r = await call(base, `/throw/${kind}`);
      expect(r.status, kind).toBe(503);
      expect(r.retryAfter, kind).toBe('1');
      expect(r.body, kind).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        code: kind === 'shutdown' ? 'shutdown' : 'backend',
        lock: 'order:42',
      });
      expect(JSON.stringify(r.body), kind).not.toMatch(/10\.1\.2\.3|6380|ECONNREFUSED/);
    }
  });

  it('InvalidLockKeyError → 400', async () => {
    const r = await call(base, '/throw/invalid-key');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'invalid_key', lock: 'a{b}' });
    expect(String(r.body.message)).toContain('must not contain');
  });

  it('anything else keeps Nest default answer: other lock errors, plain errors, HttpExceptions', async () => {
    for (const kind of ['lost', 'plain']) {
      const r = await call(base, `/throw/${kind}`);
      expect(r.status, kind).toBe(500);
      expect(r.body, kind).toEqual({ statusCode: 500, message: 'Internal server error' });
    }
    const r = await call(base, '/throw/not-found');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ statusCode: 404, message: 'no such order', error: 'Not Found' });
  });
});

describe('LockExceptionFilter as APP_FILTER over a real Redis', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    const moduleRef = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({
          addrs: [`127.0.0.1:${redis.port}`],
          keyPrefix: 'very-secret-prefix:',
          lock: { commandTimeout: '300ms' },
          monitoring: { healthCheckInterval: 0 },
        }),
      ],
      controllers: [ProbeController],
      providers: [
        { provide: APP_FILTER, useClass: LockExceptionFilter },
        { provide: LOCK_EXCEPTION_FILTER_OPTIONS, useValue: { retryAfterSeconds: 5 } },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    base = await listen(app);
  });
  afterAll(async () => {
    await app?.close().catch(() => undefined);
    closeClients();
    await redis?.stop();
  });

  it('answers 200, then 503 with the configured Retry-After once Redis is gone; no key prefix, no owner token', async () => {
    expect((await fetch(`${base}/orders/1`)).status).toBe(200);
    await redis.kill();
    const r = await call(base, '/orders/1');
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe('5');
    expect(r.body).toMatchObject({ statusCode: 503, code: 'backend', lock: 'order:1' });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain('very-secret-prefix');
    expect(text).not.toContain(String(redis.port));
    expect(text).not.toMatch(/[0-9a-f]{16,}/); // no owner token
  });
});
