import { performance } from 'node:perf_hooks';

/**
 * Average, 99th percentile and maximum of the samples of a {@link LatencyWindow}, in ms.
 * All fields are `0` when `count` is `0`.
 *
 * @example
 * const { count, avgMs, p99Ms } = locks.getStatistics().wait;
 */
export interface LatencySummary {
  /** Samples in the window. */
  count: number;
  /** Mean, ms (2 decimals). */
  avgMs: number;
  /** 99th percentile (nearest rank), ms (2 decimals). */
  p99Ms: number;
  /** Largest sample, ms (2 decimals). */
  maxMs: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * The last `capacity` samples of a duration, kept in a ring buffer with their monotonic time.
 * `add` is O(1); `summary` looks only at samples younger than `windowMs` and sorts at most
 * `capacity` numbers, so it stays cheap to call.
 *
 * @example
 * const w = new LatencyWindow(60_000, 1024);
 * w.add(12.5);
 * w.summary().p99Ms; // 12.5
 */
export class LatencyWindow {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  /**
   * @param windowMs how far back `summary` looks. @default 60_000
   * @param capacity most samples kept (older ones are overwritten). @default 1024
   * @param now monotonic clock (tests pass a fake). @default performance.now
   */
  constructor(
    readonly windowMs = 60_000,
    readonly capacity = 1024,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** Records one sample (ms) taken at monotonic time `at`. Non-finite values are ignored. */
  add(valueMs: number, at = this.now()): void {
    if (!Number.isFinite(valueMs)) return;
    this.times[this.next] = at;
    this.values[this.next] = Math.max(0, valueMs);
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Count, average, p99 and max of the samples in the window. */
  summary(): LatencySummary {
    const since = this.now() - this.windowMs;
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.times[i] >= since) recent.push(this.values[i]);
    if (recent.length === 0) return { count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 };
    recent.sort((a, b) => a - b);
    const sum = recent.reduce((a, b) => a + b, 0);
    const rank = Math.max(0, Math.ceil(recent.length * 0.99) - 1);
    return {
      count: recent.length,
      avgMs: round(sum / recent.length),
      p99Ms: round(recent[rank]),
      maxMs: round(recent[recent.length - 1]),
    };
  }
}

/**
 * Counts of operations and of errors over the last `windowMs`, in `buckets` time slices (so the
 * window slides in steps of `windowMs / buckets`). O(1) per event, O(buckets) per read.
 *
 * @example
 * const r = new RateWindow(60_000, 12);
 * r.record(false); r.record(true);
 * r.rate(); // { operations: 2, errors: 1, rate: 0.5 }
 */
export class RateWindow {
  private readonly ops: Float64Array;
  private readonly errs: Float64Array;
  private readonly slots: Float64Array;
  private readonly sliceMs: number;

  /**
   * @param windowMs how far back `rate` looks. @default 60_000
   * @param buckets time slices of the window. @default 12
   * @param now monotonic clock. @default performance.now
   */
  constructor(
    readonly windowMs = 60_000,
    private readonly buckets = 12,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.ops = new Float64Array(buckets);
    this.errs = new Float64Array(buckets);
    this.slots = new Float64Array(buckets).fill(-1);
    this.sliceMs = windowMs / buckets;
  }

  /** Counts one operation, failed or not, done at monotonic time `at`. */
  record(error: boolean, at = this.now()): void {
    const slot = Math.floor(at / this.sliceMs);
    const i = slot % this.buckets;
    if (this.slots[i] !== slot) {
      this.slots[i] = slot;
      this.ops[i] = 0;
      this.errs[i] = 0;
    }
    this.ops[i]++;
    if (error) this.errs[i]++;
  }

  /** Operations and errors in the window, and their ratio (0 when there were none). */
  rate(): { operations: number; errors: number; rate: number } {
    const current = Math.floor(this.now() / this.sliceMs);
    let operations = 0;
    let errors = 0;
    for (let i = 0; i < this.buckets; i++) {
      if (this.slots[i] > current - this.buckets) {
        operations += this.ops[i];
        errors += this.errs[i];
      }
    }
    return { operations, errors, rate: operations === 0 ? 0 : Math.round((errors / operations) * 10_000) / 10_000 };
  }
}
