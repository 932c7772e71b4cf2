// @lynx-nest/redis-lock/metrics: Prometheus metrics. Needs the optional peers prom-client and
// @willsoto/nestjs-prometheus; the package root never imports this file.
export {
  LOCK_METRIC_NAMES,
  CIRCUIT_BREAKER_STATE_VALUES,
  LOCK_METRIC_DEFINITIONS,
  LOCK_ERROR_REASONS,
  LOCK_LOST_REASONS,
  WAIT_BUCKETS,
  HOLD_BUCKETS,
  type LockMetricKey,
  type LockMetricDefinition,
  type LockErrorReason,
} from './lock-metrics.definitions.js';
export {
  attachLockMetrics,
  errorReason,
  OTHER_NAME_LABEL,
  LOCK_METRIC_KEYS,
  type LockMetricInstances,
  type LockMetricsBinding,
  type LockMetricsRecorderOptions,
  type LockEventSource,
  type CounterLike,
  type GaugeLike,
  type HistogramLike,
} from './lock-metrics.recorder.js';
export { registerLockMetrics, bindLockMetrics } from './lock-metrics.registration.js';
export { redisLockMetricProviders } from './redis-lock-metrics.providers.js';
export { RedisLockMetricsModule, LockMetricsRecorder } from './redis-lock-metrics.module.js';
