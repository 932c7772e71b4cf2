import type { Provider } from '@nestjs/common';
import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { REDIS_LOCK_CONFIG } from '../redis-lock.constants.js';
import type { LockEvents } from './lock-events.js';
import { LockService } from './lock.service.js';

/** Token of the metrics binding `RedisLockModule` creates when `monitoring.enableMetrics` is on. */
export const LOCK_METRICS_BINDING = Symbol.for('@lynx-nest/redis-lock:metrics');

/** The part of `../metrics/lock-metrics.registration.js` the loader calls (kept structural, so no prom-client type leaks here). */
interface MetricsRegistration {
  bindLockMetrics(service: { readonly events: LockEvents }): { detach(): void };
}

const importRegistration = (): Promise<MetricsRegistration> => import('../metrics/lock-metrics.registration.js');

/**
 * The error to throw when the metrics code cannot be loaded: an install hint when prom-client
 * is missing, otherwise the original error.
 *
 * @example
 * metricsLoadError(new Error("Cannot find package 'prom-client'")).message; // '... npm install prom-client ...'
 */
export function metricsLoadError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/prom-client/.test(message)) {
    return new Error(
      'monitoring.enableMetrics is true, but the optional peer dependency "prom-client" is not installed. ' +
        'Install it (npm install prom-client) or set monitoring.enableMetrics to false.',
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(message);
}

/**
 * Loads the metrics code on demand (the package root never imports prom-client) and records
 * `service`'s events into the `lynx_redis_lock_*` metrics of prom-client's default registry.
 * The returned object detaches when Nest destroys the module.
 *
 * @example
 * const binding = await loadLockMetrics(lockService);
 */
export async function loadLockMetrics(
  service: { readonly events: LockEvents },
  load: () => Promise<MetricsRegistration> = importRegistration,
): Promise<{ onModuleDestroy(): void }> {
  let registration: MetricsRegistration;
  try {
    registration = await load();
  } catch (error) {
    throw metricsLoadError(error);
  }
  const binding = registration.bindLockMetrics(service);
  return { onModuleDestroy: () => binding.detach() };
}

/**
 * `RedisLockModule`'s provider of the metrics binding: with `monitoring.enableMetrics` it registers
 * every metric before any lifecycle hook runs (an async factory resolves while the container is
 * built); otherwise it is `null` and nothing extra runs.
 */
export const lockMetricsProvider: Provider = {
  provide: LOCK_METRICS_BINDING,
  inject: [REDIS_LOCK_CONFIG, LockService],
  useFactory: (config: ResolvedLockConfig, service: LockService) =>
    config.enableMetrics ? loadLockMetrics(service) : null,
};
