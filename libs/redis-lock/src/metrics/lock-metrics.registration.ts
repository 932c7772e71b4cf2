import { Counter, Gauge, Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import { LOCK_METRIC_DEFINITIONS, type LockMetricDefinition, type LockMetricKey } from './lock-metrics.definitions.js';
import {
  attachLockMetrics,
  LOCK_METRIC_KEYS,
  type LockEventSource,
  type LockMetricInstances,
  type LockMetricsBinding,
  type LockMetricsRecorderOptions,
} from './lock-metrics.recorder.js';

const CLASS_NAME: Record<LockMetricDefinition['type'], string> = {
  counter: 'Counter',
  gauge: 'Gauge',
  histogram: 'Histogram',
};

function getOrCreate(definition: LockMetricDefinition, registry: Registry): unknown {
  const existing = registry.getSingleMetric(definition.name) as unknown as Record<string, unknown> | undefined;
  if (existing) {
    // Reused, as @willsoto/nestjs-prometheus does: a second app, module or test registers nothing twice.
    if ((existing as { constructor?: { name?: string } }).constructor?.name !== CLASS_NAME[definition.type]) {
      throw new Error(
        `A metric named "${definition.name}" is already registered with another type; @lynx-nest/redis-lock needs it to be a ${definition.type}.`,
      );
    }
    return existing;
  }
  const { name, help, labelNames, buckets } = definition;
  const configuration = { name, help, labelNames, registers: [registry] };
  switch (definition.type) {
    case 'counter':
      return new Counter(configuration);
    case 'gauge':
      return new Gauge(configuration);
    case 'histogram':
      return new Histogram({ ...configuration, buckets });
  }
}

/**
 * Registers every `lynx_redis_lock_*` metric in `registry` (prom-client's default registry unless
 * given) and returns them. Metrics already registered under the same names are reused, so calling
 * it again (another app in the same process, `RedisLockMetricsModule`) is safe.
 *
 * @default registry prom-client's default `register`
 * @example
 * const metrics = registerLockMetrics();
 * metrics.acquisitions; // the Counter 'lynx_redis_lock_acquisitions_total'
 */
export function registerLockMetrics(registry: Registry = defaultRegistry): LockMetricInstances {
  const out = {} as Record<LockMetricKey, unknown>;
  for (const key of LOCK_METRIC_KEYS) out[key] = getOrCreate(LOCK_METRIC_DEFINITIONS[key], registry);
  return out as unknown as LockMetricInstances;
}

/**
 * Registers the metrics in `registry` and records `service`'s events into them. This is what
 * `RedisLockModule.forRoot({ monitoring: { enableMetrics: true } })` runs (loaded on demand, so the
 * package root never imports prom-client).
 *
 * @default registry prom-client's default `register`
 * @example
 * const binding = bindLockMetrics(app.get(LockService));
 * // GET /metrics now shows lynx_redis_lock_* series
 * binding.detach();
 */
export function bindLockMetrics(
  service: LockEventSource,
  registry: Registry = defaultRegistry,
  options?: LockMetricsRecorderOptions,
): LockMetricsBinding {
  return attachLockMetrics(service, registerLockMetrics(registry), options);
}
