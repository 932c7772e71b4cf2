/**
 * Names of every Prometheus metric this library exports: the seed's eleven plus `wait_seconds`,
 * `lost_total`, `skips_total` and `circuit_breaker_state`. Dashboards and alerts should use these constants' values.
 *
 * @example
 * import { LOCK_METRIC_NAMES } from '@lynx-nest/redis-lock/metrics';
 * LOCK_METRIC_NAMES.acquisitions; // 'lynx_redis_lock_acquisitions_total'
 */
export const LOCK_METRIC_NAMES = {
  acquisitions: 'lynx_redis_lock_acquisitions_total',
  releases: 'lynx_redis_lock_releases_total',
  errors: 'lynx_redis_lock_errors_total',
  duration: 'lynx_redis_lock_duration_seconds',
  active: 'lynx_redis_lock_active',
  retries: 'lynx_redis_lock_retries_total',
  retryDuration: 'lynx_redis_lock_retry_duration_seconds',
  retryFailures: 'lynx_redis_lock_retry_failures_total',
  renewals: 'lynx_redis_lock_renewals_total',
  renewalErrors: 'lynx_redis_lock_renewal_errors_total',
  expirations: 'lynx_redis_lock_expirations_total',
  wait: 'lynx_redis_lock_wait_seconds',
  lost: 'lynx_redis_lock_lost_total',
  skips: 'lynx_redis_lock_skips_total',
  circuitBreaker: 'lynx_redis_lock_circuit_breaker_state',
} as const;

/**
 * Key of {@link LOCK_METRIC_NAMES}.
 *
 * @example
 * const key: LockMetricKey = 'lost';
 */
export type LockMetricKey = keyof typeof LOCK_METRIC_NAMES;

/**
 * Values of the `reason` label of `lynx_redis_lock_errors_total`.
 * `invalid` covers bad keys, bad options and a foreign key of another Redis type at the lock's key
 * (`LockKeyTypeError`); a caller's `AbortSignal` ending a wait counts as `timeout`.
 *
 * @example
 * // PromQL: sum by (reason) (rate(lynx_redis_lock_errors_total[5m]))
 * LOCK_ERROR_REASONS.includes('backend'); // true
 */
export const LOCK_ERROR_REASONS = [
  'timeout',
  'backend',
  'lost',
  'not_held',
  'invalid',
  'deadlock',
  'shutdown',
] as const;
/**
 * A value of the `reason` label of `lynx_redis_lock_errors_total`.
 *
 * @example
 * const reason: LockErrorReason = 'timeout';
 */
export type LockErrorReason = (typeof LOCK_ERROR_REASONS)[number];

/**
 * Values of the `reason` label of `lynx_redis_lock_lost_total` (the `LockLostError.reason`).
 *
 * @example
 * // PromQL: increase(lynx_redis_lock_lost_total{reason="refused"}[1h])
 */
export const LOCK_LOST_REASONS = ['refused', 'expired', 'max_hold_time', 'shutdown'] as const;

/**
 * Histogram buckets (seconds) of the wait and retry-delay histograms: 1 ms to 30 s.
 *
 * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
 * @example
 * // PromQL: histogram_quantile(0.99, sum by (le) (rate(lynx_redis_lock_wait_seconds_bucket[5m])))
 */
export const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/**
 * Histogram buckets (seconds) of the hold-time histogram: 5 ms to 30 min.
 *
 * @default [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800]
 * @example
 * // PromQL: histogram_quantile(0.99, sum by (le, name) (rate(lynx_redis_lock_duration_seconds_bucket[5m])))
 */
export const HOLD_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];

/**
 * One metric: its prom-client type, name, help text, label names and (histograms) buckets.
 *
 * @example
 * const d: LockMetricDefinition = LOCK_METRIC_DEFINITIONS.wait; // { type: 'histogram', name: 'lynx_redis_lock_wait_seconds', ... }
 */
export interface LockMetricDefinition {
  type: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labelNames: string[];
  buckets?: number[];
}

/**
 * Every metric's definition, in one place: the prom-client registration, the Nest providers and
 * the documentation all come from this table.
 *
 * @example
 * LOCK_METRIC_DEFINITIONS.errors.labelNames; // ['name', 'reason', 'kind']
 */
export const LOCK_METRIC_DEFINITIONS: Record<LockMetricKey, LockMetricDefinition> = {
  acquisitions: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.acquisitions,
    help: 'Lock acquisitions, including reentrant holds.',
    labelNames: ['name', 'kind'],
  },
  releases: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.releases,
    help: 'Lock releases, including reentrant holds.',
    labelNames: ['name', 'kind'],
  },
  errors: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.errors,
    help: 'Lock errors by reason: failed acquisitions (timeout, backend, invalid, deadlock, shutdown, not_held), lost locks (lost, shutdown) and renewal errors (backend).',
    labelNames: ['name', 'reason', 'kind'],
  },
  duration: {
    type: 'histogram',
    name: LOCK_METRIC_NAMES.duration,
    help: 'Lock hold time in seconds, from acquisition to release of the outermost hold.',
    labelNames: ['name', 'kind'],
    buckets: HOLD_BUCKETS,
  },
  active: {
    type: 'gauge',
    name: LOCK_METRIC_NAMES.active,
    help: 'Locks this process holds now (reentrant holds count once).',
    labelNames: ['name', 'kind'],
  },
  retries: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.retries,
    help: 'Retries made while a lock was busy.',
    labelNames: ['name', 'kind'],
  },
  retryDuration: {
    type: 'histogram',
    name: LOCK_METRIC_NAMES.retryDuration,
    help: 'Backoff delay scheduled before each retry, in seconds (a release message may end the wait sooner).',
    labelNames: ['name', 'kind'],
    buckets: WAIT_BUCKETS,
  },
  retryFailures: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.retryFailures,
    help: 'Acquisitions that gave up waiting: retries or maxElapsedTime exhausted, or the caller aborted.',
    labelNames: ['name', 'kind'],
  },
  renewals: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.renewals,
    help: 'Successful lock renewals (watchdog and handle.renew()).',
    labelNames: ['name', 'kind'],
  },
  renewalErrors: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.renewalErrors,
    help: 'Renewals that could not reach Redis (the lock may still be held).',
    labelNames: ['name', 'kind'],
  },
  expirations: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.expirations,
    help: 'Locks whose TTL ran out while this process still held them.',
    labelNames: ['name', 'kind'],
  },
  wait: {
    type: 'histogram',
    name: LOCK_METRIC_NAMES.wait,
    help: 'Time an acquisition waited for the lock, in seconds (first holds only).',
    labelNames: ['name', 'kind'],
    buckets: WAIT_BUCKETS,
  },
  lost: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.lost,
    help: 'Held locks lost, by reason (refused, expired, max_hold_time, shutdown).',
    labelNames: ['name', 'reason', 'kind'],
  },
  skips: {
    type: 'counter',
    name: LOCK_METRIC_NAMES.skips,
    help: "Calls skipped by @WithLock({ onLocked: 'skip' }) because the lock was busy.",
    labelNames: ['name', 'kind'],
  },
  circuitBreaker: {
    type: 'gauge',
    name: LOCK_METRIC_NAMES.circuitBreaker,
    help: 'State of the circuit breaker in front of Redis: 0 closed, 1 half-open, 2 open.',
    labelNames: [],
  },
};

/**
 * Values of `lynx_redis_lock_circuit_breaker_state`.
 *
 * @example
 * // PromQL alert: max(lynx_redis_lock_circuit_breaker_state) == 2
 * CIRCUIT_BREAKER_STATE_VALUES.open; // 2
 */
export const CIRCUIT_BREAKER_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;
