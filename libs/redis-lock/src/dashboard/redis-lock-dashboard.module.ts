import { Inject, Logger, Module, type DynamicModule, type OnModuleInit, type Provider } from '@nestjs/common';
import { InvalidLockOptionsError } from '../errors/index.js';
import {
  resolveDashboardRoute,
  resolveDashboardSettings,
  type DashboardRoute,
  type RedisLockDashboardAsyncOptions,
  type RedisLockDashboardOptions,
} from './dashboard-options.js';
import { createDashboardController } from './dashboard.controller.js';
import { DASHBOARD_SETTINGS, DashboardStateReader } from './dashboard-state.reader.js';

const DASHBOARD_ROUTE = Symbol.for('@lynx-nest/redis-lock:dashboard-route');

/**
 * The live lock page as a feature any app can mount: `GET /<path>` serves the page (plain HTML and
 * JavaScript shipped in the package, no build step) and `GET /<path>/state` its JSON
 * ({@link DashboardState}: the locks held now on all instances with owner instance, TTL, hold count,
 * fence and waiters, plus this instance's statistics). Nothing is mounted unless this module is
 * imported. It shows the default `LockService` (or `service`), so `RedisLockModule.forRoot()` must be
 * imported too.
 *
 * **Warning: lock names are visible to whoever can open the page.** Names often carry user data
 * (order ids, e-mail addresses), and the page also shows instance ids and statistics. Pass a `guard`
 * (any Nest guard) or serve it where only operators can reach it; without a guard a warning is logged
 * at start-up.
 *
 * @example
 * @Module({
 *   imports: [
 *     RedisLockModule.forRoot({ addrs: ['127.0.0.1:6379'] }),
 *     RedisLockDashboardModule.forRoot({ path: 'admin/locks', guard: AdminGuard }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
export class RedisLockDashboardModule implements OnModuleInit {
  constructor(@Inject(DASHBOARD_ROUTE) private readonly route: DashboardRoute) {}

  /**
   * Mounts the dashboard at `options.path`, behind `options.guard` when given. Bad options throw
   * `InvalidLockOptionsError` naming each field.
   *
   * @default service 'default', limit 200, refreshInterval '1s', guard none
   * @example
   * RedisLockDashboardModule.forRoot({ path: 'admin/locks', guard: new HeaderGuard('x-admin-token') });
   */
  static forRoot(options: RedisLockDashboardOptions): DynamicModule {
    const route = resolveDashboardRoute(options);
    const settings = resolveDashboardSettings(options);
    const provider: Provider = { provide: DASHBOARD_SETTINGS, useValue: settings };
    return RedisLockDashboardModule.assemble(route, options.imports, provider);
  }

  /**
   * Like {@link forRoot}, with the settings from a factory; `path`, `guard` and `imports` are given
   * as is (they are route metadata, needed before any provider exists).
   *
   * @default inject []
   * @example
   * RedisLockDashboardModule.forRootAsync({
   *   path: 'admin/locks',
   *   guard: AdminGuard,
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ refreshInterval: config.get('LOCK_PAGE_REFRESH') ?? '1s' }),
   * });
   */
  static forRootAsync(options: RedisLockDashboardAsyncOptions): DynamicModule {
    const route = resolveDashboardRoute(options);
    if (typeof options.useFactory !== 'function') {
      throw new InvalidLockOptionsError([{ path: 'useFactory', problem: 'must be a function' }], 'dashboard options');
    }
    return RedisLockDashboardModule.assemble(route, options.imports, {
      provide: DASHBOARD_SETTINGS,
      inject: options.inject ?? [],
      useFactory: async (...args: unknown[]) => resolveDashboardSettings(await options.useFactory(...args)),
    });
  }

  private static assemble(
    route: DashboardRoute,
    imports: RedisLockDashboardOptions['imports'],
    settings: Provider,
  ): DynamicModule {
    return {
      module: RedisLockDashboardModule,
      imports: imports ?? [],
      controllers: [createDashboardController(route)],
      providers: [{ provide: DASHBOARD_ROUTE, useValue: route }, settings, DashboardStateReader],
    };
  }

  /** Warns when the page is mounted without a guard (Nest calls it). */
  onModuleInit(): void {
    if (this.route.guard) return;
    new Logger('RedisLockDashboard').warn(
      `The lock dashboard at /${this.route.path} has no guard: anyone who can reach it sees every lock name. ` +
        'Pass `guard` to RedisLockDashboardModule.forRoot().',
    );
  }
}
