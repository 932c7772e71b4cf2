import { Controller, Get, Header, Inject, ServiceUnavailableException, UseGuards, type Type } from '@nestjs/common';
import { LockBackendError } from '../errors/index.js';
import type { LockService } from '../lock/lock.service.js';
import type { DashboardRoute, ResolvedDashboardSettings } from './dashboard-options.js';
import { DASHBOARD_PAGE_CSP, DASHBOARD_PAGE_HTML } from './dashboard.page.js';
import { readDashboardState, type DashboardState } from './dashboard-state.js';

/** @internal Token of the dashboard's validated settings. */
export const DASHBOARD_SETTINGS = Symbol.for('@lynx-nest/redis-lock:dashboard-settings');
/** @internal Token of the `LockService` the dashboard shows. */
export const DASHBOARD_LOCK_SERVICE = Symbol.for('@lynx-nest/redis-lock:dashboard-lock-service');

/**
 * The page and its JSON. Not mounted as is: {@link createDashboardController} derives a class with
 * the app's path and guard, because a controller's path is static decorator metadata.
 *
 * @example
 * // mounted for you by RedisLockDashboardModule.forRoot({ path: 'admin/locks' })
 */
export class RedisLockDashboardController {
  constructor(
    @Inject(DASHBOARD_LOCK_SERVICE) private readonly locks: LockService,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings,
  ) {}

  /** `GET /<path>`: the live lock page. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', DASHBOARD_PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  page(): string {
    return DASHBOARD_PAGE_HTML;
  }

  /** `GET /<path>/state`: the locks held now and this instance's statistics (503 when the backend is down). */
  @Get('state')
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async state(): Promise<DashboardState> {
    try {
      return await readDashboardState(this.locks, this.settings);
    } catch (error) {
      // LockBackendError messages are credential-free; anything else stays a plain 500.
      if (error instanceof LockBackendError) throw new ServiceUnavailableException(error.message);
      throw error;
    }
  }
}

/**
 * A controller class for one dashboard: {@link RedisLockDashboardController} with `@Controller(path)`
 * and, when given, `@UseGuards(guard)` applied to a fresh subclass.
 *
 * @example
 * const controller = createDashboardController({ path: 'admin/locks', guard: AdminGuard });
 */
export function createDashboardController(route: DashboardRoute): Type<RedisLockDashboardController> {
  class MountedDashboardController extends RedisLockDashboardController {}
  Object.defineProperty(MountedDashboardController, 'name', { value: 'RedisLockDashboardController' });
  Controller(route.path)(MountedDashboardController);
  if (route.guard) UseGuards(route.guard)(MountedDashboardController);
  return MountedDashboardController;
}
