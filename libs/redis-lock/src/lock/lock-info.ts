/**
 * What `inspect(key, kind)` looks at: a `mutex` (`withLock`, `acquire`), a `read-write` lock
 * (`withReadLock` / `withWriteLock`, `mode: 'read' | 'write'`) or a `semaphore`. The three kinds of
 * one name are independent locks.
 *
 * @default 'mutex'
 * @example
 * const info = await locks.inspect('catalog', 'read-write');
 */
export type LockInfoKind = 'mutex' | 'read-write' | 'semaphore';

/**
 * Every {@link LockInfoKind}, in the order `list()` sorts the kinds of one name.
 *
 * @example
 * LOCK_INFO_KINDS.includes('semaphore'); // true
 */
export const LOCK_INFO_KINDS: readonly LockInfoKind[] = ['mutex', 'read-write', 'semaphore'];

/**
 * What `inspect()` and `list()` report of every kind of lock. Owner tokens are secrets, so only
 * instance ids are shown.
 *
 * @example
 * const info: LockInfoBase = await locks.inspect('job:report');
 * if (info.held) console.log(`${info.key} held for ${info.ttlMs} ms more, ${info.waiters} waiting`);
 */
export interface LockInfoBase {
  /** The lock name. */
  key: string;
  /** What it is (see {@link LockInfoKind}). */
  kind: LockInfoKind;
  /** Whether anyone holds it now. */
  held: boolean;
  /**
   * Instance id of the holder (`instanceId` option of that process). For a read-write lock or a
   * semaphore only when all its holders are of one instance (each is in `holders`).
   */
  owner?: string;
  /** Whether a holder is this process's service. */
  heldByThisInstance: boolean;
  /** Reentrant hold count (0 when free); for a read-write lock or semaphore, summed over its holders. */
  holdCount: number;
  /** Remaining TTL in ms (-2 when free); for a read-write lock or semaphore, the longest of its holders'. */
  ttlMs: number;
  /**
   * Fencing token of the current ownership; for a read-write lock or semaphore, the highest of its
   * holders' (readers share the read token; a writer's token is above every earlier one).
   */
  fence?: number;
  /** Waiters queued for it (a mutex: fair mode only, 0 otherwise; read-write locks and semaphores always queue). */
  waiters: number;
}

/**
 * One holder of a read-write lock or semaphore, as `inspect()` shows it: its instance id, never its
 * owner token.
 *
 * @example
 * const { holders } = await locks.inspect('partner-api', 'semaphore');
 * for (const h of holders) console.log(`${h.owner} holds ${h.count} for ${h.ttlMs} ms`);
 */
export interface LockHolderInfo {
  /** Instance id of the holder. */
  owner: string;
  /** Whether it is this process's service. */
  thisInstance: boolean;
  /** Permits it holds (a reader 1, a writer `RW_PERMITS`; a semaphore holding its count). */
  count: number;
  /** Its reentrant holds (a read inside a read or a write adds one). */
  holds: number;
  /** Its remaining TTL in ms. */
  ttlMs: number;
  /** Its fencing token. */
  fence: number;
}

/**
 * `inspect(key)` / `inspect(key, 'mutex')`: a mutex.
 *
 * @example
 * const info = await locks.inspect('job:report');
 * if (info.held) console.log(`${info.key} held by ${info.owner} for ${info.ttlMs} ms more`);
 */
export interface MutexLockInfo extends LockInfoBase {
  kind: 'mutex';
}

/**
 * `inspect(key, 'read-write')`: a read-write lock, with its readers or its writer.
 *
 * @example
 * const info = await locks.inspect('catalog', 'read-write');
 * console.log(info.writer ? 'being written' : `${info.readers} readers, ${info.waiters} waiting`);
 */
export interface ReadWriteLockInfo extends LockInfoBase {
  kind: 'read-write';
  /** Read holders now (0 while a writer holds it). */
  readers: number;
  /** Whether a writer holds it. */
  writer: boolean;
  /** Every live holder (readers, or the one writer), without owner tokens. */
  holders: LockHolderInfo[];
}

/**
 * `inspect(key, 'semaphore')`: a semaphore's permits.
 *
 * @example
 * const { permits } = await locks.inspect('partner-api', 'semaphore');
 * console.log(`${permits.used} of ${permits.limit} used, ${permits.free} free`);
 */
export interface SemaphoreInfo extends LockInfoBase {
  kind: 'semaphore';
  /**
   * `limit`: permits as last set by an acquirer (0 when the name has no state); `used`: held by live
   * holders; `free`: `limit - used`, never below 0 (a lowered limit admits nobody until enough release).
   */
  permits: { limit: number; used: number; free: number };
  /** Every live holder, without owner tokens. */
  holders: LockHolderInfo[];
}

/**
 * What `inspect(key, kind)` and `list()` report of one lock: a {@link MutexLockInfo},
 * {@link ReadWriteLockInfo} or {@link SemaphoreInfo}, told apart by `kind`. Owner tokens are
 * secrets, so only instance ids are shown.
 *
 * @example
 * for (const info of await locks.list('report:')) {
 *   if (info.kind === 'read-write') console.log(info.key, info.readers, info.writer);
 *   else if (info.kind === 'semaphore') console.log(info.key, info.permits.free);
 *   else console.log(info.key, info.owner);
 * }
 */
export type LockInfo = MutexLockInfo | ReadWriteLockInfo | SemaphoreInfo;

/**
 * The {@link LockInfo} of one kind (what `inspect(key, kind)` resolves to).
 *
 * @example
 * const info: LockInfoOf<'semaphore'> = await locks.inspect('partner-api', 'semaphore');
 */
export type LockInfoOf<K extends LockInfoKind> = Extract<LockInfo, { kind: K }>;

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
  /**
   * Whether a probe read acquire/release of a read-write lock (the permit scripts behind read-write
   * locks and semaphores) worked; absent when the store has none (Redlock). A failure makes the
   * report `down`.
   */
  permitProbe?: 'ok' | 'failed';
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
