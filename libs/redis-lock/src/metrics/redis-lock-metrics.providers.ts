import type { Provider } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { LOCK_METRIC_DEFINITIONS, type LockMetricDefinition } from './lock-metrics.definitions.js';
import { LOCK_METRIC_KEYS } from './lock-metrics.recorder.js';

function makeProvider(definition: LockMetricDefinition): Provider {
  const { name, help, labelNames, buckets } = definition;
  switch (definition.type) {
    case 'counter':
      return makeCounterProvider({ name, help, labelNames });
    case 'gauge':
      return makeGaugeProvider({ name, help, labelNames });
    case 'histogram':
      return makeHistogramProvider({ name, help, labelNames, buckets });
  }
}

/**
 * One `@willsoto/nestjs-prometheus` provider per `lynx_redis_lock_*` metric (`makeCounterProvider`,
 * `makeGaugeProvider`, `makeHistogramProvider`), for apps that wire metrics themselves and inject
 * them with `@InjectMetric(name)`. `RedisLockMetricsModule` provides and exports all of them.
 *
 * @example
 * @Module({ imports: [PrometheusModule.register()], providers: [...redisLockMetricProviders, MyService] })
 * export class AppModule {}
 *
 * // in MyService
 * constructor(@InjectMetric('lynx_redis_lock_lost_total') private readonly lost: Counter<string>) {}
 */
export const redisLockMetricProviders: Provider[] = LOCK_METRIC_KEYS.map((key) =>
  makeProvider(LOCK_METRIC_DEFINITIONS[key]),
);
