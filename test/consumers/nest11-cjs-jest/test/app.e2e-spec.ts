import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { incrementConcurrently, RedisServer, startRedisServer } from 'consumer-redis-harness';
import { AppModule } from '../src/app.module';

/** The value of one sample line of a Prometheus text page, 0 when absent. */
function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('Nest 11 CommonJS app on ioredis 6 (tarball install)', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(redis.addr)] }).compile();
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

  it('GET /health is 200 with the lock backend up', async () => {
    const response = await fetch(`${url}/health`);
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(body.info['redis-lock']).toMatchObject({ status: 'up', store: 'redis', probe: 'ok' });
  });

  it('GET /metrics counts the lock\'s acquisitions and releases in lynx_redis_lock_* series', async () => {
    const before = await (await fetch(`${url}/metrics`)).text();
    expect((await incrementConcurrently(url, 5)).statuses).toEqual(Array(5).fill(201));
    const after = await (await fetch(`${url}/metrics`)).text();
    for (const series of ['lynx_redis_lock_acquisitions_total', 'lynx_redis_lock_releases_total']) {
      expect(sample(after, `${series}{name="counter",kind="mutex"}`) - sample(before, `${series}{name="counter",kind="mutex"}`)).toBe(5);
    }
    expect(sample(after, 'lynx_redis_lock_active{name="counter",kind="mutex"}')).toBe(0);
    expect(after).toContain('# TYPE lynx_redis_lock_wait_seconds histogram');
    expect(sample(after, 'lynx_redis_lock_circuit_breaker_state')).toBe(0);
  });
});
