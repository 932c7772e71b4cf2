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
  status: 'up' | 'down';
  /** Why it is down. */
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
}
