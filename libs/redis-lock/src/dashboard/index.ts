// @lynx-nest/redis-lock/dashboard: the live lock page, mounted by RedisLockDashboardModule. The package
// root never imports this file, so nothing is served unless an app imports the module.
export { RedisLockDashboardModule } from './redis-lock-dashboard.module.js';
export {
  DASHBOARD_DEFAULTS,
  resolveDashboardRoute,
  resolveDashboardSettings,
  type RedisLockDashboardOptions,
  type RedisLockDashboardAsyncOptions,
  type RedisLockDashboardSettings,
  type ResolvedDashboardSettings,
  type DashboardRoute,
} from './dashboard-options.js';
export { readDashboardState, type DashboardState } from './dashboard-state.js';
export { DashboardStateReader } from './dashboard-state.reader.js';
export { DASHBOARD_PAGE_HTML, DASHBOARD_PAGE_CSP } from './dashboard.page.js';
export { createDashboardController, RedisLockDashboardController } from './dashboard.controller.js';
