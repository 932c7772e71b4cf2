import { Inject, Injectable, Module, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { LockService } from '../lock/lock.service.js';
import { requireLockService } from '../lock/require-lock-service.js';
import { LOCK_METRIC_NAMES as N } from './lock-metrics.definitions.js';
import { attachLockMetrics, type LockMetricsBinding } from './lock-metrics.recorder.js';
import { redisLockMetricProviders } from './redis-lock-metrics.providers.js';

/**
 * Records the `LockService`'s events into the metrics injected with `@InjectMetric`. Provided by
 * {@link RedisLockMetricsModule}; attaching is idempotent per service, so it can be combined with
 * `monitoring.enableMetrics` without double counting.
 *
 * @example
 * // provided for you by RedisLockMetricsModule
 */
@Injectable()
export class LockMetricsRecorder implements OnModuleInit, OnModuleDestroy {
  private binding?: LockMetricsBinding;
  private readonly locks: LockService;

  constructor(
    // Optional so that a missing RedisLockModule fails start-up with the fix, not "can't resolve dependencies".
    @Optional() @Inject(LockService) locks: LockService | undefined,
    @InjectMetric(N.acquisitions) private readonly acquisitions: Counter<string>,
    @InjectMetric(N.releases) private readonly releases: Counter<string>,
    @InjectMetric(N.errors) private readonly errors: Counter<string>,
    @InjectMetric(N.duration) private readonly duration: Histogram<string>,
    @InjectMetric(N.active) private readonly active: Gauge<string>,
    @InjectMetric(N.retries) private readonly retries: Counter<string>,
    @InjectMetric(N.retryDuration) private readonly retryDuration: Histogram<string>,
    @InjectMetric(N.retryFailures) private readonly retryFailures: Counter<string>,
    @InjectMetric(N.renewals) private readonly renewals: Counter<string>,
    @InjectMetric(N.renewalErrors) private readonly renewalErrors: Counter<string>,
    @InjectMetric(N.expirations) private readonly expirations: Counter<string>,
    @InjectMetric(N.wait) private readonly wait: Histogram<string>,
    @InjectMetric(N.lost) private readonly lost: Counter<string>,
    @InjectMetric(N.skips) private readonly skips: Counter<string>,
    @InjectMetric(N.circuitBreaker) private readonly circuitBreaker: Gauge<string>,
  ) {
    this.locks = requireLockService(locks, 'RedisLockMetricsModule (LockMetricsRecorder)');
  }

  /** Starts recording (Nest calls it). */
  onModuleInit(): void {
    this.binding = attachLockMetrics(this.locks, {
      acquisitions: this.acquisitions,
      releases: this.releases,
      errors: this.errors,
      duration: this.duration,
      active: this.active,
      retries: this.retries,
      retryDuration: this.retryDuration,
      retryFailures: this.retryFailures,
      renewals: this.renewals,
      renewalErrors: this.renewalErrors,
      expirations: this.expirations,
      wait: this.wait,
      lost: this.lost,
      skips: this.skips,
      circuitBreaker: this.circuitBreaker,
    });
  }

  /** Stops recording (Nest calls it). */
  onModuleDestroy(): void {
    this.binding?.detach();
  }
}

/**
 * Explicit wiring of the lock metrics through `@willsoto/nestjs-prometheus`: provides (and exports,
 * for `@InjectMetric`) every `lynx_redis_lock_*` metric and records the default `LockService`'s
 * events into them. Import it next to `PrometheusModule.register()` and `RedisLockModule.forRoot()`.
 * Not needed when `monitoring.enableMetrics` is `true`, which registers the same metrics by itself.
 *
 * @example
 * @Module({
 *   imports: [PrometheusModule.register(), RedisLockModule.forRoot({ addrs: ['127.0.0.1:6379'] }), RedisLockMetricsModule],
 * })
 * export class AppModule {}
 */
@Module({
  providers: [...redisLockMetricProviders, LockMetricsRecorder],
  exports: [...redisLockMetricProviders],
})
export class RedisLockMetricsModule {}
