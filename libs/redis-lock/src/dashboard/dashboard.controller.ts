import { Controller, Get, Header, Inject, ServiceUnavailableException, UseGuards, type Type } from '@nestjs/common';
import { LockBackendError } from '../errors/index.js';
import type { DashboardRoute } from './dashboard-options.js';
import { DASHBOARD_PAGE_CSP, DASHBOARD_PAGE_HTML } from './dashboard.page.js';
import type { DashboardState } from './dashboard-state.js';
import { DashboardStateReader } from './dashboard-state.reader.js';

/**
 * The page and its JSON. Not mounted as is: {@link createDashboardController} derives a class with
 * the app's path and guard, because a controller's path is static decorator metadata.
 *
 * @example
 * // mounted for you by RedisLockDashboardModule.forRoot({ path: 'admin/locks' })
 */
export class RedisLockDashboardController {
  constructor(@Inject(DashboardStateReader) private readonly reader: DashboardStateReader) {}

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
      return await this.reader.read();
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
