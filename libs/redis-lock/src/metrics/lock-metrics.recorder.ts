import { Logger } from '@nestjs/common';
import type { LockErrorCode } from '../errors/index.js';
import type { LockEventMap, LockEvents } from '../lock/lock-events.js';
import type { LockKind } from '../lock/lock-kind.js';
import { CIRCUIT_BREAKER_STATE_VALUES, type LockErrorReason, type LockMetricKey } from './lock-metrics.definitions.js';

type Labels = Record<string, string>;

/**
 * The part of a prom-client `Counter` the recorder uses.
 *
 * @example
 * const counter: CounterLike = new Counter({ name: 'x_total', help: 'x', labelNames: ['name'] });
 */
export interface CounterLike {
  inc(labels: Labels, value?: number): void;
}
/**
 * The part of a prom-client `Gauge` the recorder uses.
 *
 * @example
 * const gauge: GaugeLike = new Gauge({ name: 'x', help: 'x', labelNames: ['name'] });
 */
export interface GaugeLike {
  inc(labels: Labels, value?: number): void;
  dec(labels: Labels, value?: number): void;
  set(labels: Labels, value: number): void;
}
/**
 * The part of a prom-client `Histogram` the recorder uses.
 *
 * @example
 * const histogram: HistogramLike = new Histogram({ name: 'x_seconds', help: 'x', labelNames: ['name'] });
 */
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

/**
 * The metric objects the recorder feeds, one per {@link LockMetricKey}. prom-client's `Counter`,
 * `Gauge` and `Histogram` fit; so do test doubles.
 *
 * @example
 * const metrics = registerLockMetrics(); // prom-client default registry
 */
export interface LockMetricInstances {
  acquisitions: CounterLike;
  releases: CounterLike;
  errors: CounterLike;
  duration: HistogramLike;
  active: GaugeLike;
  retries: CounterLike;
  retryDuration: HistogramLike;
  retryFailures: CounterLike;
  renewals: CounterLike;
  renewalErrors: CounterLike;
  expirations: CounterLike;
  wait: HistogramLike;
  lost: CounterLike;
  skips: CounterLike;
  circuitBreaker: GaugeLike;
}

/**
 * Anything with `LockService`'s `events` (a `LockService`, or a stub in unit tests).
 *
 * @example
 * const source: LockEventSource = { events: new LockEvents() };
 */
export interface LockEventSource {
  readonly events: LockEvents;
}

/**
 * Options of {@link attachLockMetrics}.
 *
 * @example
 * attachLockMetrics(locks, registerLockMetrics(), { maxNames: 100 });
 */
export interface LockMetricsRecorderOptions {
  /**
   * Most distinct `name` label values; later names are recorded as `__other__` (a warning is
   * logged once), so locks named per entity (`order:${id}` without a `name` option) cannot blow up
   * the series count.
   * @default 500
   */
  maxNames?: number;
}

/**
 * A recorder attached to one service. `detach()` stops recording (idempotent) and takes the
 * locks it counted out of `lynx_redis_lock_active`.
 *
 * @example
 * const binding = bindLockMetrics(locks);
 * binding.detach();
 */
export interface LockMetricsBinding {
  detach(): void;
}

/**
 * Label value used once `maxNames` distinct names were seen.
 *
 * @default '__other__'
 * @example
 * // PromQL: lynx_redis_lock_acquisitions_total{name="__other__"}
 */
export const OTHER_NAME_LABEL = '__other__';

const ATTACHED = Symbol.for('@lynx-nest/redis-lock:metrics-binding');

/**
 * Maps an acquisition failure code to the `reason` label of `lynx_redis_lock_errors_total`.
 *
 * @example
 * errorReason('invalid_key'); // 'invalid'
 */
export function errorReason(code: LockErrorCode | 'aborted'): LockErrorReason {
  switch (code) {
    case 'invalid_key':
    case 'invalid_options':
    case 'wrong_type': // a foreign key at the lock's key: bad data, not a backend failure
      return 'invalid';
    case 'aborted':
      return 'timeout';
    default:
      return code;
  }
}

/**
 * Feeds the `lynx_redis_lock_*` metrics from a lock service's events. Listeners only count and
 * observe in memory: no Redis call, nothing on the lock path, and a metric that throws (say, a
 * clashing registration with other labels) is reported once and never reaches the caller.
 * Attaching twice to the same service returns the first binding, so `forRoot({ monitoring:
 * { enableMetrics: true } })` and `RedisLockMetricsModule` together do not double count.
 *
 * @example
 * const binding = attachLockMetrics(lockService, registerLockMetrics());
 * // ... later
 * binding.detach();
 */
export function attachLockMetrics(
  service: LockEventSource,
  metrics: LockMetricInstances,
  options: LockMetricsRecorderOptions = {},
): LockMetricsBinding {
  const holder = service as LockEventSource & { [ATTACHED]?: LockMetricsBinding };
  const existing = holder[ATTACHED];
  if (existing) return existing;

  const logger = new Logger('RedisLockMetrics');
  const maxNames = options.maxNames ?? 500;
  const names = new Set<string>();
  let warnedNames = false;
  let warnedFailure = false;
  /** Ownerships counted in `active`: ownership id → its labels. */
  const active = new Map<number, Labels>();

  const label = (name: string): string => {
    if (names.has(name)) return name;
    if (names.size < maxNames) {
      names.add(name);
      return name;
    }
    if (!warnedNames) {
      warnedNames = true;
      logger.warn(
        `More than ${maxNames} distinct lock names: further names are recorded as "${OTHER_NAME_LABEL}". Give per-entity locks a low-cardinality \`name\` option.`,
      );
    }
    return OTHER_NAME_LABEL;
  };
  /** The `name` (capped) and `kind` labels of an event. */
  const labelsOf = (e: { name: string; kind: LockKind }): Labels => ({ name: label(e.name), kind: e.kind });
  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (error) {
        if (!warnedFailure) {
          warnedFailure = true;
          logger.error(
            `Recording a lock metric failed (metrics may be incomplete): ${(error as Error)?.message ?? error}`,
          );
        }
      }
    };
  const m = metrics;
  /** An ownership counted in `active` ended (released or lost): it leaves the gauge once. */
  const leave = (ownership: number): void => {
    const held = active.get(ownership);
    if (held === undefined) return;
    active.delete(ownership);
    m.active.dec(held);
  };
  const handlers: { [K in keyof LockEventMap]?: (...args: LockEventMap[K]) => void } = {
    acquired: (e) => {
      const labels = labelsOf(e);
      m.acquisitions.inc(labels);
      if (e.reentrant) return;
      m.wait.observe(labels, e.waitMs / 1000);
      active.set(e.ownership, labels);
      m.active.inc(labels);
    },
    released: (e) => {
      const labels = labelsOf(e);
      m.releases.inc(labels);
      if (e.reentrant) return;
      m.duration.observe(labels, e.heldMs / 1000);
      leave(e.ownership);
    },
    failed: (e) => {
      const labels = labelsOf(e);
      const reason = errorReason(e.reason);
      m.errors.inc({ ...labels, reason });
      if (reason === 'timeout') m.retryFailures.inc(labels);
    },
    retry: (e) => {
      const labels = labelsOf(e);
      m.retries.inc(labels);
      m.retryDuration.observe(labels, e.delayMs / 1000);
    },
    renewed: (e) => m.renewals.inc(labelsOf(e)),
    renewalFailed: (e) => {
      const labels = labelsOf(e);
      m.renewalErrors.inc(labels);
      m.errors.inc({ ...labels, reason: 'backend' });
    },
    lost: (e) => {
      const labels = labelsOf(e);
      m.lost.inc({ ...labels, reason: e.reason });
      m.errors.inc({ ...labels, reason: e.reason === 'shutdown' ? 'shutdown' : 'lost' });
      leave(e.ownership);
    },
    expired: (e) => m.expirations.inc(labelsOf(e)),
    skipped: (e) => m.skips.inc(labelsOf(e)),
    breaker: (e) => m.circuitBreaker.set({}, CIRCUIT_BREAKER_STATE_VALUES[e.state]),
  };

  const events = service.events;
  const wrapped = Object.entries(handlers).map(([event, handler]) => {
    const listener = safe(handler as (...args: unknown[]) => void);
    events.on(event as keyof LockEventMap, listener as never);
    return [event, listener] as const;
  });
  let attached = true;
  const binding: LockMetricsBinding = {
    detach() {
      if (!attached) return;
      attached = false;
      for (const [event, listener] of wrapped) events.off(event as keyof LockEventMap, listener as never);
      // Locks still counted leave the gauge, so a closed app does not report them forever.
      for (const labels of active.values()) safe(() => m.active.dec(labels))();
      active.clear();
      if (holder[ATTACHED] === binding) delete holder[ATTACHED];
    },
  };
  Object.defineProperty(holder, ATTACHED, { value: binding, configurable: true, enumerable: false, writable: true });
  return binding;
}

/**
 * Keys of every metric the recorder needs (for completeness checks).
 *
 * @example
 * LOCK_METRIC_KEYS.map((k) => LOCK_METRIC_DEFINITIONS[k].name);
 */
export const LOCK_METRIC_KEYS: readonly LockMetricKey[] = [
  'acquisitions',
  'releases',
  'errors',
  'duration',
  'active',
  'retries',
  'retryDuration',
  'retryFailures',
  'renewals',
  'renewalErrors',
  'expirations',
  'wait',
  'lost',
  'skips',
  'circuitBreaker',
];
