import { performance } from 'node:perf_hooks';
import type { LockEvents } from './lock-events.js';
import { LOCK_KINDS, type LockKind } from './lock-kind.js';
import { LatencyWindow, RateWindow, type LatencySummary } from './sliding-window.js';

export type { LatencySummary } from './sliding-window.js';

/**
 * Length of the sliding window of the time statistics and the recent error rate, in ms.
 *
 * @default 60000
 * @example
 * locks.getStatistics().windowMs === STATISTICS_WINDOW_MS; // true
 */
export const STATISTICS_WINDOW_MS = 60_000;

/**
 * The counts of one {@link LockKind} in `LockStatistics.byKind`.
 *
 * @example
 * const { acquired, active } = locks.getStatistics().byKind.read;
 */
export interface KindStatistics {
  /** Successful acquisitions of this kind (reentrant holds included). */
  acquired: number;
  /** Releases of this kind (reentrant holds included). */
  released: number;
  /** Failed acquisitions of this kind, all reasons. */
  failed: number;
  /**
   * Holdings of this kind this process has now, counted from the events (a reentrant hold counts
   * once; a read-write lock's reader and writer count as `read` and `write`, a semaphore holding as
   * one whatever its permit count).
   */
  active: number;
}

/**
 * A snapshot of `LockService.getStatistics()`: the seed's `activeLocks`, `totalAcquired`,
 * `totalReleased`, and the rest of what this process did since start-up.
 *
 * @example
 * const s = locks.getStatistics();
 * console.log(`active ${s.activeLocks}, acquired ${s.totalAcquired}, released ${s.totalReleased}`);
 */
export interface LockStatistics {
  /** Locks this process holds now (reentrant holds count once). */
  activeLocks: number;
  /** Successful acquisitions (first holds and reentrant holds). */
  totalAcquired: number;
  /** Releases. */
  totalReleased: number;
  /** Failed acquisitions, all reasons. */
  totalFailed: number;
  /** Failed acquisitions by reason (`timeout`, `backend`, `invalid_key`, ...). */
  failuresByReason: Record<string, number>;
  /** Retries made while waiting. */
  totalRetries: number;
  /** Successful renewals. */
  totalRenewals: number;
  /** Renewals that could not reach Redis. */
  totalRenewalErrors: number;
  /** Locks lost while held. */
  totalLost: number;
  /** Locks whose TTL ran out while held. */
  totalExpirations: number;
  /** Calls skipped by `@WithLock({ onLocked: 'skip' })`. */
  totalSkipped: number;
  /** Circuit breaker state (`closed` also when the breaker is disabled). */
  circuitBreaker: 'closed' | 'open' | 'half_open';
  /** Times the circuit breaker opened. */
  totalCircuitBreakerOpens: number;
  /** Length of the sliding window of `wait`, `hold` and `recentErrorRate`, in ms. @default 60000 */
  windowMs: number;
  /** Time first acquisitions waited for the lock (last `windowMs`, at most 1024 samples). */
  wait: LatencySummary;
  /** Time locks were held, acquisition to release of the outermost hold (last `windowMs`, at most 1024 samples). */
  hold: LatencySummary;
  /**
   * Share of lock operations (acquisitions, failed acquisitions, renewals) in the last `windowMs`
   * that failed because of the backend (`backend` failures and renewal errors); 0 to 1.
   */
  recentErrorRate: number;
  /**
   * The same counts per kind of holding: `mutex`, `read` and `write` (the two sides of a read-write
   * lock) and `semaphore`. `totalAcquired`, `totalReleased` and `totalFailed` are the sums of these.
   */
  byKind: Record<LockKind, KindStatistics>;
}

const emptyByKind = (): Record<LockKind, KindStatistics> =>
  Object.fromEntries(LOCK_KINDS.map((k) => [k, { acquired: 0, released: 0, failed: 0, active: 0 }])) as Record<
    LockKind,
    KindStatistics
  >;

/**
 * Counts lock events into a {@link LockStatistics}. Cheap: counters and fixed-size sliding windows,
 * no Redis calls.
 */
export class StatisticsCollector {
  private readonly waits: LatencyWindow;
  private readonly holds: LatencyWindow;
  private readonly outcomes: RateWindow;

  private readonly stats: LockStatistics = {
    activeLocks: 0,
    totalAcquired: 0,
    totalReleased: 0,
    totalFailed: 0,
    failuresByReason: {},
    totalRetries: 0,
    totalRenewals: 0,
    totalRenewalErrors: 0,
    totalLost: 0,
    totalExpirations: 0,
    totalSkipped: 0,
    circuitBreaker: 'closed',
    totalCircuitBreakerOpens: 0,
    windowMs: STATISTICS_WINDOW_MS,
    wait: { count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 },
    hold: { count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 },
    recentErrorRate: 0,
    byKind: emptyByKind(),
  };
  /** Holdings counted in `byKind[kind].active`: ownership id → kind (ended once, by release or loss). */
  private readonly holdings = new Map<number, LockKind>();

  /**
   * @param events the service's events
   * @param activeLocks how many locks the service holds now
   * @param windowMs sliding window length. @default 60000
   * @param now monotonic clock (tests pass a fake). @default performance.now
   */
  constructor(
    events: LockEvents,
    private readonly activeLocks: () => number,
    windowMs = STATISTICS_WINDOW_MS,
    now?: () => number,
  ) {
    const clock = now ?? (() => performance.now());
    this.waits = new LatencyWindow(windowMs, 1024, clock);
    this.holds = new LatencyWindow(windowMs, 1024, clock);
    this.outcomes = new RateWindow(windowMs, 12, clock);
    const s = this.stats;
    s.windowMs = windowMs;
    const perKind = s.byKind;
    const end = (ownership: number) => {
      const kind = this.holdings.get(ownership);
      if (kind === undefined) return;
      this.holdings.delete(ownership);
      perKind[kind].active--;
    };
    events.on('acquired', (e) => {
      s.totalAcquired++;
      perKind[e.kind].acquired++;
      if (!e.reentrant && !this.holdings.has(e.ownership)) {
        this.holdings.set(e.ownership, e.kind);
        perKind[e.kind].active++;
      }
      const at = clock(); // one clock read for both windows
      if (!e.reentrant) this.waits.add(e.waitMs, at);
      this.outcomes.record(false, at);
    });
    events.on('released', (e) => {
      s.totalReleased++;
      perKind[e.kind].released++;
      if (e.reentrant) return;
      this.holds.add(e.heldMs);
      end(e.ownership);
    });
    events.on('failed', (e) => {
      s.totalFailed++;
      perKind[e.kind].failed++;
      s.failuresByReason[e.reason] = (s.failuresByReason[e.reason] ?? 0) + 1;
      this.outcomes.record(e.reason === 'backend');
    });
    events.on('retry', () => void s.totalRetries++);
    events.on('renewed', () => {
      s.totalRenewals++;
      this.outcomes.record(false);
    });
    events.on('renewalFailed', () => {
      s.totalRenewalErrors++;
      this.outcomes.record(true);
    });
    events.on('lost', (e) => {
      s.totalLost++;
      end(e.ownership);
    });
    events.on('expired', () => void s.totalExpirations++);
    events.on('skipped', () => void s.totalSkipped++);
    events.on('breaker', (e) => {
      s.circuitBreaker = e.state;
      if (e.state === 'open' && e.previous === 'closed') s.totalCircuitBreakerOpens++;
    });
  }

  /** Operations and backend errors in the window (health uses it). */
  errorRate(): { operations: number; errors: number; rate: number } {
    return this.outcomes.rate();
  }

  /** A copy of the counters and the window summaries. */
  snapshot(): LockStatistics {
    return {
      ...this.stats,
      failuresByReason: { ...this.stats.failuresByReason },
      activeLocks: this.activeLocks(),
      wait: this.waits.summary(),
      hold: this.holds.summary(),
      recentErrorRate: this.outcomes.rate().rate,
      byKind: Object.fromEntries(LOCK_KINDS.map((k) => [k, { ...this.stats.byKind[k] }])) as LockStatistics['byKind'],
    };
  }
}
