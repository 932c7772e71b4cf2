import type { LockEvents } from './lock-events.js';

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
}

/** Counts lock events into a {@link LockStatistics}. Cheap: counters only, no Redis calls. */
export class StatisticsCollector {
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
  };

  constructor(events: LockEvents, private readonly activeLocks: () => number) {
    const s = this.stats;
    events.on('acquired', () => void s.totalAcquired++);
    events.on('released', () => void s.totalReleased++);
    events.on('failed', (e) => {
      s.totalFailed++;
      s.failuresByReason[e.reason] = (s.failuresByReason[e.reason] ?? 0) + 1;
    });
    events.on('retry', () => void s.totalRetries++);
    events.on('renewed', () => void s.totalRenewals++);
    events.on('renewalFailed', () => void s.totalRenewalErrors++);
    events.on('lost', () => void s.totalLost++);
    events.on('expired', () => void s.totalExpirations++);
    events.on('skipped', () => void s.totalSkipped++);
  }

  /** A copy of the counters. */
  snapshot(): LockStatistics {
    return { ...this.stats, failuresByReason: { ...this.stats.failuresByReason }, activeLocks: this.activeLocks() };
  }
}
