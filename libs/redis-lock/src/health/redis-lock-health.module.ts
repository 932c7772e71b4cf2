import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisLockHealthIndicator } from './redis-lock.health.js';

/**
 * Provides and exports {@link RedisLockHealthIndicator} (it imports `TerminusModule` for
 * `HealthIndicatorService`). Alternatively list `RedisLockHealthIndicator` in the providers of a
 * module that imports `TerminusModule`.
 *
 * @example
 * @Module({
 *   imports: [TerminusModule, RedisLockModule.forRoot({ addrs: ['127.0.0.1:6379'] }), RedisLockHealthModule],
 *   controllers: [HealthController],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [TerminusModule],
  providers: [RedisLockHealthIndicator],
  exports: [RedisLockHealthIndicator],
})
export class RedisLockHealthModule {}
