/**
 * What `inspect(key)` and `list()` report of one lock. Owner tokens are secrets, so only the
 * owner's instance id is shown.
 *
 * @example
 * const info = await locks.inspect('job:report');
 * if (info.held) console.log(`${info.key} held by ${info.owner} for ${info.ttlMs} ms more`);
 */
export interface LockInfo {
  /** The lock name. */
  key: string;
  /** Whether anyone holds it now. */
  held: boolean;
  /** Instance id of the holder (`instanceId` option of that process). */
  owner?: string;
  /** Whether the holder is this process's service. */
  heldByThisInstance: boolean;
  /** Reentrant hold count (0 when free). */
  holdCount: number;
  /** Remaining TTL in ms (-2 when free). */
  ttlMs: number;
  /** Fencing token of the current ownership. */
  fence?: number;
  /** Waiters queued for it (fair mode; 0 otherwise). */
  waiters: number;
}

/**
 * Result of `checkHealth()` and the payload of the Terminus indicator. Never contains
 * credentials or owner tokens.
 *
 * @example
 * const report = await locks.checkHealth();
 * if (report.status === 'down') logger.error(report.reason);
 */
export interface LockHealthReport {
  /** `down` when Redis did not answer PING, the scripts could not be loaded, the probe failed or the check timed out. */
  status: 'up' | 'down';
  /** Why it is down (credential-free). */
  reason?: string;
  /** `redis` or `memory`. */
  store: string;
  /** PING round trip in ms. */
  latencyMs?: number;
  /** Whether every Lua script is cached on the server (Redis store only). */
  scriptsLoaded?: boolean;
  /** Whether a probe acquire/release round trip worked. */
  probe?: 'ok' | 'failed';
  /** How late the renewal watchdog ran on its last tick, in ms. */
  renewalLagMs: number;
  /** Locks this process holds. */
  activeLocks: number;
  /** Whether missing scripts were loaded again by this check (after a Redis restart or failover). */
  scriptsReloaded?: boolean;
  /**
   * Share of lock operations in the statistics window (60 s) that failed because of the backend,
   * 0 to 1 (see `LockStatistics.recentErrorRate`).
   */
  recentErrorRate: number;
  /** Lock operations counted in that window. */
  recentOperations: number;
  /** Conditions worth a look that do not make the backend `down` (high renewal lag, high error rate). */
  warnings: string[];
  /** State of the circuit breaker after the check (absent when the breaker is disabled). */
  circuitBreaker?: 'closed' | 'open' | 'half_open';
  /** How long the whole check took, ms. */
  durationMs: number;
}
