import type { Duration } from '../config/duration.js';
import { parseDuration } from '../config/duration.js';
import { MAX_DURATION_MS } from '../config/limits.js';
import { InvalidLockOptionsError } from '../errors/index.js';
import { runLockHealthCheck, type LockHealthDeps } from './lock-health.check.js';
import type { LockHealthReport } from './lock-info.js';
import type { LockLogger } from './lock-logger.js';

/**
 * `LockService.checkHealth()` and the periodic probe (`monitoring.healthCheckInterval`): runs the
 * health check, logs a change between up and down once (at WARN, also the recovery), and never lets
 * two checks overlap.
 *
 * @example
 * const probe = new HealthProbe(() => deps, logger, 30_000, 2000);
 * probe.start();
 */
export class HealthProbe {
  private timer?: NodeJS.Timeout;
  private last?: 'up' | 'down';
  private probing = false;
  private stopped = false;

  constructor(
    private readonly deps: () => Omit<LockHealthDeps, 'timeoutMs'>,
    private readonly logger: LockLogger,
    private readonly intervalMs: number,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** One check; `timeout` (a duration) bounds it, else `defaultTimeoutMs`. */
  check(options?: { timeout?: Duration }): Promise<LockHealthReport> {
    const timeoutMs = options?.timeout === undefined ? undefined : parseDuration(options.timeout);
    if (options?.timeout !== undefined && (timeoutMs === undefined || timeoutMs < 1 || timeoutMs > MAX_DURATION_MS)) {
      throw new InvalidLockOptionsError([
        { path: 'timeout', problem: `must be a duration between 1 ms and ${MAX_DURATION_MS} ms` },
      ]);
    }
    return runLockHealthCheck({ ...this.deps(), timeoutMs: timeoutMs ?? this.defaultTimeoutMs });
  }

  /** Starts the periodic probe (no-op with an interval of 0). */
  start(): void {
    this.stopped = false;
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic probe; a check still in flight (failing as the clients close) logs nothing. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async probe(): Promise<void> {
    if (this.probing) return; // a slow check never overlaps the next one
    this.probing = true;
    try {
      const report = await this.check();
      if (this.stopped) return; // shut down meanwhile: a failure now is the shutdown's, not Redis'
      if (report.status !== this.last) {
        if (report.status === 'down') this.logger.warn(`Lock backend is DOWN: ${report.reason}`);
        // Logged at warn level: whoever saw the DOWN line (default level WARN) must see the recovery too.
        else if (this.last) this.logger.warn('Lock backend is UP again');
        this.last = report.status;
      }
    } finally {
      this.probing = false;
    }
  }
}
