import { Module, type Provider } from '@nestjs/common';
import type { RedisLockModuleOptions } from './config/redis-lock-options.js';
import type { ResolvedLockConfig } from './config/resolved-config.js';
import { resolveModuleOptions } from './config/validate-options.js';
import { lockMetricsProvider } from './lock/lock-metrics.loader.js';
import { LockService } from './lock/lock.service.js';
import {
  DEFAULT_LOCK_SERVICE_NAME,
  LOCK_STORE,
  REDIS_LOCK_CONFIG,
  REDIS_LOCK_INSTANCE_NAME,
} from './redis-lock.constants.js';
import { REDIS_LOCK_MODULE_OPTIONS, RedisLockConfigurableModule } from './redis-lock.module-definition.js';
import { createLockStore } from './store/create-lock-store.js';
import { optionalRedisServiceClass, type NamespacedClients } from './store/nest-redis-service.js';

const RedisServiceClass = optionalRedisServiceClass();

const providers: Provider[] = [
  {
    provide: REDIS_LOCK_CONFIG,
    inject: [REDIS_LOCK_MODULE_OPTIONS, REDIS_LOCK_INSTANCE_NAME],
    // Validation runs while the container is built, so a bad configuration fails start-up with every problem listed.
    // `name` travels as a module extra (see the module definition); a factory's own `name` is used when no extra was given.
    useFactory: (options: RedisLockModuleOptions & { isGlobal?: boolean }, instanceName: string) => {
      const { isGlobal: _ignored, ...rest } = options ?? {};
      return resolveModuleOptions({
        ...rest,
        name: instanceName !== DEFAULT_LOCK_SERVICE_NAME ? instanceName : (rest.name ?? instanceName),
      });
    },
  },
  {
    provide: LOCK_STORE,
    // Depending on @liaoliaots/nestjs-redis' RedisService (when installed) makes Nest create the app's
    // clients first, so `namespace` finds them.
    inject: [REDIS_LOCK_CONFIG, ...(RedisServiceClass ? [{ token: RedisServiceClass, optional: true }] : [])],
    useFactory: (config: ResolvedLockConfig, namespaced?: NamespacedClients) => createLockStore(config, namespaced),
  },
  LockService,
  // monitoring.enableMetrics: loads ./metrics on demand (never imported statically) and binds the service.
  lockMetricsProvider,
];

/**
 * The Redis lock module. Import it once with `forRoot(options)` or `forRootAsync({ useFactory })`;
 * `LockService` is then injectable everywhere (`isGlobal` defaults to `true`).
 *
 * Lifecycle (the Lynx plugin stages): options are validated while the module is built; the store
 * connects and loads its scripts in `onModuleInit`; the renewal watchdog and health probe start at
 * bootstrap; shutdown refuses new locks, waits `shutdown.gracePeriod` for running critical
 * sections, releases what is held and closes the clients it created.
 *
 * @example
 * @Module({ imports: [RedisLockModule.forRoot({ addrs: ['127.0.0.1:6379'] })] })
 * export class AppModule {}
 *
 * @example
 * RedisLockModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ addrs: [config.getOrThrow('REDIS_ADDR')] }),
 * });
 */
@Module({
  providers,
  exports: [LockService, REDIS_LOCK_CONFIG, LOCK_STORE],
})
export class RedisLockModule extends RedisLockConfigurableModule {}
