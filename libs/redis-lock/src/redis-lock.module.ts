import { Module, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { RedisLockModuleOptions } from './config/redis-lock-options.js';
import type { ResolvedLockConfig } from './config/resolved-config.js';
import { resolveModuleOptions } from './config/validate-options.js';
import { LockService } from './lock/lock.service.js';
import { LOCK_STORE, REDIS_LOCK_CONFIG } from './redis-lock.constants.js';
import { REDIS_LOCK_MODULE_OPTIONS, RedisLockConfigurableModule } from './redis-lock.module-definition.js';
import { createLockStore } from './store/create-lock-store.js';

const providers: Provider[] = [
  {
    provide: REDIS_LOCK_CONFIG,
    inject: [REDIS_LOCK_MODULE_OPTIONS],
    // Validation runs while the container is built, so a bad configuration fails start-up with every problem listed.
    useFactory: (options: RedisLockModuleOptions & { isGlobal?: boolean }) => {
      const { isGlobal: _ignored, ...rest } = options ?? {};
      return resolveModuleOptions(rest);
    },
  },
  {
    provide: LOCK_STORE,
    inject: [REDIS_LOCK_CONFIG, ModuleRef],
    useFactory: (config: ResolvedLockConfig, moduleRef: ModuleRef) => createLockStore(config, moduleRef),
  },
  LockService,
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
