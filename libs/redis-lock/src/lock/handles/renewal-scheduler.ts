import { performance } from 'node:perf_hooks';
import type { LockLostReason } from '../../errors/index.js';
import type { LockStore } from '../../store/lock-store.js';
import type { LockHandle } from './lock-handle.js';
import { validUntil } from '../lock-validity.js';

/** Callbacks the scheduler reports to (the lock service). */
export interface RenewalListener {
  renewed(handle: LockHandle): void;
  renewalFailed(handle: LockHandle, error: unknown): void;
  lost(handle: LockHandle, reason: LockLostReason): void;
}

/**
 * The watchdog: one timer for all held locks of a service. Each tick renews every lock that is
 * due (or due soon, so renewals coalesce) in one pipelined round trip, and marks locks whose
 * validity ran out as lost. A pass never waits for Redis: a stalled renewal batch does not delay
 * the expiry of any lock (see `tick`); the timer is `unref()`ed so it never keeps the
 * process alive. It wakes at the earliest due time, and at least every `maxIntervalMs`.
 * It watches every lock the service holds (with or without renewal, for expiry), so it is also the
 * service's one set of held locks (`size`, `has`, `held`): one set to update per acquire and release.
 */
export class RenewalScheduler {
  private readonly handles = new Set<LockHandle>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  /** Locks whose renewal is in flight: not renewed again until it settles, but still expired on time. */
  private readonly inFlight = new Set<LockHandle>();
  private stopped = false;
  private started = false;
  /** How late the last tick ran compared to when it was due (ms). */
  lagMs = 0;
  /** Monotonic time of the last completed tick. */
  lastTickAt = 0;

  constructor(
    private readonly store: LockStore,
    private readonly listener: RenewalListener,
    private readonly maxIntervalMs: number,
  ) {}

  /** Number of locks watched. */
  get size(): number {
    return this.handles.size;
  }

  /** Whether `handle` is watched. */
  has(handle: LockHandle): boolean {
    return this.handles.has(handle);
  }

  /** The watched locks, as a new array (safe to change the set while going through it). */
  held(): LockHandle[] {
    return [...this.handles];
  }

  /** Starts ticking (at application bootstrap). Locks added before are picked up. */
  start(): void {
    this.started = true;
    this.stopped = false;
    this.schedule();
  }

  /** Stops the timer; watched locks are kept (they are released by the service). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  add(handle: LockHandle): void {
    this.handles.add(handle);
    this.schedule(this.dueAt(handle));
  }

  remove(handle: LockHandle): void {
    this.handles.delete(handle);
  }

  /**
   * When the watchdog must look at `handle` next: its renewal, or its expiry when it gets no renewal
   * (none asked for, one already in flight, or past `maxHoldTime` by then).
   */
  private dueAt(handle: LockHandle): number {
    const s = handle.state;
    const renews = s.autoRenew && !this.inFlight.has(handle) && s.renewAt < s.acquiredAt + s.maxHoldMs;
    return renews ? Math.min(s.renewAt, s.expiresAt) : s.expiresAt;
  }

  private schedule(at?: number): void {
    if (this.stopped) return;
    // The armed timer is due by `at` already (it is never more than maxIntervalMs away, so the
    // clamping below could not make `at` earlier): the common case of every acquisition, without a clock read.
    if (at !== undefined && at >= this.timerAt - 1) return;
    const now = performance.now();
    let next = at ?? now + this.maxIntervalMs;
    if (at === undefined) for (const handle of this.handles) next = Math.min(next, this.dueAt(handle));
    next = Math.min(Math.max(next, now + 1), now + this.maxIntervalMs);
    // Not started yet (before bootstrap): still guard expiry, which needs no renewal.
    if (next >= this.timerAt - 1) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => void this.tick(), next - now);
    this.timer.unref();
  }

  /**
   * One pass: expire, send the renewal of what is due, reschedule. The pass itself never waits: a
   * renewal batch runs on its own, and while it is in flight its locks are still expired on time
   * (the next wake is at the earliest of their `expiresAt`), whatever the batch is doing.
   * Resolves when the pass's renewal batch (if any) has settled. Exposed for tests.
   */
  tick(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const scheduledAt = this.timerAt;
    this.timerAt = Infinity;
    let renewing: Promise<void> | undefined;
    try {
      const now = performance.now();
      this.lagMs = Number.isFinite(scheduledAt) ? Math.max(0, now - scheduledAt) : 0;
      const due: LockHandle[] = [];
      for (const handle of this.handles) {
        const s = handle.state;
        if (s.status !== 'held') {
          this.handles.delete(handle);
          continue;
        }
        if (now >= s.expiresAt) {
          this.handles.delete(handle);
          this.listener.lost(handle, s.autoRenew && now - s.acquiredAt >= s.maxHoldMs ? 'max_hold_time' : 'expired');
          continue;
        }
        if (!this.started || !s.autoRenew || this.inFlight.has(handle) || now - s.acquiredAt >= s.maxHoldMs) continue;
        // Coalesce: renew anything due within a quarter of its remaining renewal slack.
        const window = (s.ttlMs * (1 - s.renewalThreshold)) / 4;
        if (now >= s.renewAt - window) due.push(handle);
      }
      if (due.length > 0) renewing = this.renew(due);
    } finally {
      this.lastTickAt = performance.now();
      this.schedule();
    }
    return renewing ?? Promise.resolve();
  }

  /** Renews `due` in one batch; `tick` expires its locks meanwhile, and a late answer never revives a lost one. */
  private async renew(due: LockHandle[]): Promise<void> {
    const sentAt = performance.now();
    for (const handle of due) this.inFlight.add(handle);
    let results: boolean[];
    try {
      // One batch for every kind: the store renews read-write and semaphore holdings (`family`) by their own script.
      results = await this.store.renewMany(
        due.map((h) => ({
          name: h.getKey(),
          owner: h.getValue(),
          ttlMs: h.state.ttlMs,
          family: h.state.primitive?.spec.family,
        })),
      );
    } catch (error) {
      for (const handle of due) {
        this.inFlight.delete(handle);
        const s = handle.state;
        if (s.status !== 'held') continue; // lost (or released) while the batch was in flight
        this.listener.renewalFailed(handle, error);
        // Try again soon, well before the lock's validity runs out.
        s.renewAt = sentAt + Math.max(10, Math.min(1000, (s.expiresAt - sentAt) / 4));
      }
      this.schedule();
      return;
    }
    due.forEach((handle, i) => {
      this.inFlight.delete(handle);
      const s = handle.state;
      if (s.status !== 'held') return; // marked lost (or released) meanwhile: an answer never revives it
      if (results[i]) {
        s.expiresAt = validUntil(sentAt, s.ttlMs);
        s.renewAt = sentAt + s.ttlMs * s.renewalThreshold;
        this.listener.renewed(handle);
      } else {
        this.handles.delete(handle);
        this.listener.lost(handle, 'refused');
      }
    });
    this.schedule();
  }
}
