import 'reflect-metadata';
import type { LoggerService, ModuleMetadata, Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { LockService, RedisLockModule, type RedisLockModuleOptions } from '@lynx-nest/redis-lock';

type ModuleImports = NonNullable<ModuleMetadata['imports']>;

/** A started Nest testing module with `RedisLockModule.forRoot(options)` and its `LockService`. */
export interface LockApp {
  module: TestingModule;
  locks: LockService;
  close(): Promise<void>;
}

/**
 * Builds and initialises (all lifecycle hooks) a Nest app with the lock module.
 *
 * @example
 * const app = await createLockApp({ addrs: [redis.url] });
 */
export async function createLockApp(
  options: RedisLockModuleOptions,
  providers: Provider[] = [],
  imports: ModuleImports = [],
  logger?: LoggerService,
): Promise<LockApp> {
  const builder = Test.createTestingModule({
    imports: [RedisLockModule.forRoot({ monitoring: { healthCheckInterval: 0 }, ...options }), ...imports],
    providers,
  });
  if (logger) builder.setLogger(logger);
  const module = await builder.compile();
  await module.init();
  const locks = module.get(LockService);
  return { module, locks, close: () => module.close() };
}
