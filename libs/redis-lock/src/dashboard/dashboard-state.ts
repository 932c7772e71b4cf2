import type { LockInfo } from '../lock/lock-info.js';
import type { LockStatistics } from '../lock/lock-statistics.js';
import type { LockService } from '../lock/lock.service.js';
import type { ResolvedDashboardSettings } from './dashboard-options.js';

/**
 * The JSON of `GET /<path>/state`, what the dashboard page polls. Contains lock names and instance
 * ids, never owner tokens or connection settings.
 *
 * @example
 * const state = (await (await fetch('http://127.0.0.1:3000/admin/locks/state')).json()) as DashboardState;
 * for (const lock of state.locks) console.log(lock.key, lock.owner, lock.ttlMs);
 */
export interface DashboardState {
  /** Instance id of the process that answered (`instanceId` option). */
  instance: string;
  /** Name of the `RedisLockModule` instance shown. */
  service: string;
  /** Store kind: `redis`, or the `kind` of a store passed as `store` (e.g. `memory`). */
  store: string;
  /** Topology (`single`, `sentinel`, `cluster`, `redlock`). */
  topology: string;
  /** Server time of the answer, ms since the epoch. */
  time: number;
  /** How often the page polls, ms. */
  refreshMs: number;
  /** Most locks listed (`limit` option); when `locks.length` reaches it, more may be held. */
  limit: number;
  /** Locks held now, all instances and kinds (mutexes, read-write locks, semaphores; `LockService.list('', limit)`). */
  locks: LockInfo[];
  /** This process's statistics (`LockService.getStatistics()`). */
  statistics: LockStatistics;
}

/**
 * Reads one {@link DashboardState} from a `LockService`: one `list()` (SCAN and one inspection per
 * lock) and the in-memory statistics.
 *
 * @example
 * const state = await readDashboardState(locks, { service: 'default', limit: 200, refreshMs: 1000 });
 */
export async function readDashboardState(
  locks: LockService,
  settings: ResolvedDashboardSettings,
): Promise<DashboardState> {
  const held = await locks.list('', settings.limit);
  const { config } = locks;
  return {
    instance: locks.instanceId,
    service: config.name,
    store: config.connection.store?.kind ?? 'redis',
    topology: config.connection.mode,
    time: Date.now(),
    refreshMs: settings.refreshMs,
    limit: settings.limit,
    locks: held,
    statistics: locks.getStatistics(),
  };
}
