import { Logger } from '@nestjs/common';
import type { LockErrorCode } from '../errors/index.js';
import type { LockEventMap, LockEvents } from '../lock/lock-events.js';
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
  /** Ownerships counted in `active`: ownership id → label. */
  const active = new Map<number, string>();

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
  const handlers: { [K in keyof LockEventMap]?: (...args: LockEventMap[K]) => void } = {
    acquired: (e) => {
      const name = label(e.name);
      m.acquisitions.inc({ name });
      if (e.reentrant) return;
      m.wait.observe({ name }, e.waitMs / 1000);
      active.set(e.ownership, name);
      m.active.inc({ name });
    },
    released: (e) => {
      const name = label(e.name);
      m.releases.inc({ name });
      if (e.reentrant) return;
      m.duration.observe({ name }, e.heldMs / 1000);
      const held = active.get(e.ownership);
      if (held !== undefined) {
        active.delete(e.ownership);
        m.active.dec({ name: held });
      }
    },
    failed: (e) => {
      const name = label(e.name);
      const reason = errorReason(e.reason);
      m.errors.inc({ name, reason });
      if (reason === 'timeout') m.retryFailures.inc({ name });
    },
    retry: (e) => {
      const name = label(e.name);
      m.retries.inc({ name });
      m.retryDuration.observe({ name }, e.delayMs / 1000);
    },
    renewed: (e) => m.renewals.inc({ name: label(e.name) }),
    renewalFailed: (e) => {
      const name = label(e.name);
      m.renewalErrors.inc({ name });
      m.errors.inc({ name, reason: 'backend' });
    },
    lost: (e) => {
      const name = label(e.name);
      m.lost.inc({ name, reason: e.reason });
      m.errors.inc({ name, reason: e.reason === 'shutdown' ? 'shutdown' : 'lost' });
      const held = active.get(e.ownership);
      if (held !== undefined) {
        active.delete(e.ownership);
        m.active.dec({ name: held });
      }
    },
    expired: (e) => m.expirations.inc({ name: label(e.name) }),
    skipped: (e) => m.skips.inc({ name: label(e.name) }),
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
      for (const name of active.values()) safe(() => m.active.dec({ name }))();
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
