import type { CanActivate, FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';
import { parseDuration, type Duration } from '../config/duration.js';
import { InvalidLockOptionsError, type OptionProblem } from '../errors/index.js';
import { DEFAULT_LOCK_SERVICE_NAME } from '../redis-lock.constants.js';

/**
 * What the page polls and how much it lists: the part of the dashboard's options that
 * `forRootAsync` can compute in a factory.
 *
 * @example
 * const settings: RedisLockDashboardSettings = { service: 'billing', limit: 50, refreshInterval: '2s' };
 */
export interface RedisLockDashboardSettings {
  /**
   * Name of the `RedisLockModule` instance to show (`forRoot({ name })`).
   *
   * @default 'default'
   */
  service?: string;
  /**
   * Most locks listed per refresh (1–1000; `LockService.list(prefix, limit)`).
   *
   * @default 200
   */
  limit?: number;
  /**
   * How often the page asks for fresh data (100 ms – 1 h).
   *
   * @default '1s'
   */
  refreshInterval?: Duration;
}

/**
 * Options of `RedisLockDashboardModule.forRoot`.
 *
 * **Lock names are visible to whoever can open the page** (and its JSON endpoint), together with
 * the holder's instance id and this process's statistics. Lock names often carry user data (order
 * ids, e-mail addresses): mount it behind a `guard`, or on a port only operators can reach.
 *
 * @example
 * RedisLockDashboardModule.forRoot({ path: 'admin/locks', guard: AdminGuard });
 */
export interface RedisLockDashboardOptions extends RedisLockDashboardSettings {
  /**
   * Where the page is served (`GET /<path>`); its JSON is at `GET /<path>/state`. Leading and
   * trailing slashes are ignored; `''` or `'/'` mounts it at the root. Letters, digits and
   * `- . _ ~ /` only (no route parameters or wildcards). A global prefix of the app applies.
   *
   * @example
   * 'admin/locks'
   */
  path: string;
  /**
   * A Nest guard (class or instance) applied to the page and its JSON with `@UseGuards`. A guard
   * class is instantiated in the dashboard module: its dependencies must be global providers or come
   * from `imports`.
   *
   * @default undefined (no guard: anyone who reaches the path sees every lock name; a warning is logged)
   * @example
   * guard: AdminGuard
   */
  guard?: Type<CanActivate> | CanActivate;
  /**
   * Modules the guard class's dependencies come from.
   *
   * @default []
   * @example
   * imports: [AuthModule]
   */
  imports?: ModuleMetadata['imports'];
}

/**
 * Options of `RedisLockDashboardModule.forRootAsync`: `path`, `guard` and `imports` are needed
 * while the module is assembled (they are route metadata), so they are given as is; the settings
 * come from `useFactory`.
 *
 * @example
 * RedisLockDashboardModule.forRootAsync({
 *   path: 'admin/locks',
 *   guard: AdminGuard,
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ refreshInterval: config.get('LOCK_PAGE_REFRESH') ?? '1s' }),
 * });
 */
export interface RedisLockDashboardAsyncOptions extends Pick<RedisLockDashboardOptions, 'path' | 'guard' | 'imports'> {
  /**
   * Tokens injected into `useFactory`.
   *
   * @default []
   * @example
   * inject: [ConfigService]
   */
  inject?: FactoryProvider['inject'];
  /**
   * Returns the settings (or a promise of them).
   *
   * @example
   * useFactory: () => ({ limit: 50 })
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's own factory signature (injected values of any type)
  useFactory: (...args: any[]) => RedisLockDashboardSettings | Promise<RedisLockDashboardSettings>;
}

/**
 * Defaults of {@link RedisLockDashboardSettings}.
 *
 * @example
 * DASHBOARD_DEFAULTS.limit; // 200
 */
export const DASHBOARD_DEFAULTS = Object.freeze({
  service: DEFAULT_LOCK_SERVICE_NAME,
  limit: 200,
  refreshInterval: '1s' as Duration,
});

/**
 * {@link RedisLockDashboardSettings} after validation, with defaults filled in and the interval in ms.
 *
 * @example
 * const settings: ResolvedDashboardSettings = resolveDashboardSettings({ limit: 50 });
 */
export interface ResolvedDashboardSettings {
  service: string;
  limit: number;
  refreshMs: number;
}

/**
 * Where one dashboard is mounted: the path without surrounding slashes, and the guard, if any.
 *
 * @example
 * const route: DashboardRoute = resolveDashboardRoute({ path: '/admin/locks' }); // path 'admin/locks'
 */
export interface DashboardRoute {
  path: string;
  guard?: Type<CanActivate> | CanActivate;
}

const SOURCE = 'dashboard options';
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/**
 * Validates `path` and `guard` (thrown as one `InvalidLockOptionsError` naming each bad field) and
 * strips the slashes around the path.
 *
 * @example
 * resolveDashboardRoute({ path: '/admin/locks/' }); // { path: 'admin/locks', guard: undefined }
 */
export function resolveDashboardRoute(options: Pick<RedisLockDashboardOptions, 'path' | 'guard'>): DashboardRoute {
  const problems: OptionProblem[] = [];
  if (options === null || typeof options !== 'object') {
    throw new InvalidLockOptionsError([{ path: 'path', problem: 'is required (no options object was given)' }], SOURCE);
  }
  let path = '';
  if (typeof options.path !== 'string') {
    problems.push({ path: 'path', problem: `must be a string such as 'admin/locks', got ${typeof options.path}` });
  } else {
    path = options.path.replace(/^\/+|\/+$/g, '');
    if (path !== '' && !PATH.test(path)) {
      const problem = "must be letters, digits and - . _ ~ separated by single '/' (no parameters or wildcards)";
      problems.push({ path: 'path', problem });
    }
  }
  const { guard } = options;
  const isInstance = typeof guard === 'object' && guard !== null && typeof guard.canActivate === 'function';
  const isGuard = typeof guard === 'function' || isInstance;
  if (guard !== undefined && !isGuard) {
    problems.push({ path: 'guard', problem: 'must be a guard class or an object with a canActivate() method' });
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems, SOURCE);
  return { path, guard };
}

/**
 * Validates the settings and fills in {@link DASHBOARD_DEFAULTS}.
 *
 * @example
 * resolveDashboardSettings({ refreshInterval: '2s' }); // { service: 'default', limit: 200, refreshMs: 2000 }
 */
export function resolveDashboardSettings(settings: RedisLockDashboardSettings | undefined): ResolvedDashboardSettings {
  const {
    service = DASHBOARD_DEFAULTS.service,
    limit = DASHBOARD_DEFAULTS.limit,
    refreshInterval = DASHBOARD_DEFAULTS.refreshInterval,
  } = settings ?? {};
  const problems: OptionProblem[] = [];
  if (typeof service !== 'string' || service === '') {
    problems.push({ path: 'service', problem: 'must be a non-empty string' });
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    problems.push({ path: 'limit', problem: 'must be an integer from 1 to 1000' });
  }
  const refreshMs = parseDuration(refreshInterval);
  if (refreshMs === undefined || refreshMs < 100 || refreshMs > 3_600_000) {
    problems.push({ path: 'refreshInterval', problem: "must be a duration from 100 ms to 1 h, such as '1s'" });
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems, SOURCE);
  return { service, limit, refreshMs: refreshMs! };
}
