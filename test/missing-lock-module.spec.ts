import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { describe, expect, it } from 'vitest';
import { RedisLockModule } from '@lynx-nest/redis-lock';
import { RedisLockHealthIndicator, RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { RedisLockMetricsModule } from '@lynx-nest/redis-lock/metrics';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';

// RedisLockHealthModule and RedisLockMetricsModule need the LockService of RedisLockModule. Without
// it, start-up must fail with the fix in the message, not Nest's generic "can't resolve dependencies".

const FIX = 'import RedisLockModule.forRoot(...) in the same app';

async function startupError(imports: any[]): Promise<Error> {
  const error = await Test.createTestingModule({ imports })
    .compile()
    .then(() => undefined, (e: unknown) => e as Error);
  expect(error, 'start-up should have failed').toBeInstanceOf(Error);
  return error!;
}

describe('the health and metrics modules without RedisLockModule', () => {
  it('RedisLockHealthModule alone fails start-up naming RedisLockHealthIndicator and the fix', async () => {
    const error = await startupError([RedisLockHealthModule]);
    expect(error.message).toContain('RedisLockHealthIndicator');
    expect(error.message).toContain(FIX);
    expect(error.message).not.toMatch(/can't resolve dependencies/i);
  });

  it('RedisLockMetricsModule alone fails start-up naming RedisLockMetricsModule and the fix', async () => {
    const error = await startupError([PrometheusModule.register({ defaultMetrics: { enabled: false } }), RedisLockMetricsModule]);
    expect(error.message).toContain('RedisLockMetricsModule');
    expect(error.message).toContain(FIX);
    expect(error.message).not.toMatch(/can't resolve dependencies/i);
  });

  it('both start with the lock module (LockTestingModule, or RedisLockModule with a memory store)', async () => {
    const withTesting = await Test.createTestingModule({ imports: [LockTestingModule.forRoot(), RedisLockHealthModule] }).compile();
    expect(withTesting.get(RedisLockHealthIndicator)).toBeInstanceOf(RedisLockHealthIndicator);
    await withTesting.close();
    const { MemoryLockStore } = await import('@lynx-nest/redis-lock');
    const withModule = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRoot({ store: new MemoryLockStore(), monitoring: { healthCheckInterval: 0 } }),
        PrometheusModule.register({ defaultMetrics: { enabled: false } }),
        RedisLockMetricsModule,
      ],
    }).compile();
    await withModule.init();
    await withModule.close();
  });
});
