import { type DynamicModule, Module } from '@nestjs/common';
import type { RedisLockModuleOptions } from '../config/redis-lock-options.js';
import { RedisLockModule } from '../redis-lock.module.js';
import { MemoryLockStore } from '../store/memory-lock.store.js';

/**
 * `RedisLockModule` on an in-memory store, for unit tests of apps that use `LockService` or
 * `@WithLock`. Same contract as Redis (TTLs, reentrancy, fencing, release wake-ups), no server.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [LockTestingModule.forRoot()],
 *   providers: [OrdersService],
 * }).compile();
 */
@Module({})
export class LockTestingModule {
  /** @param options module options other than the connection; `store` defaults to a fresh `MemoryLockStore`. */
  static forRoot(options: Omit<RedisLockModuleOptions, 'client' | 'namespace' | 'addrs'> = {}): DynamicModule {
    return {
      module: LockTestingModule,
      imports: [
        RedisLockModule.forRoot({ store: new MemoryLockStore(), monitoring: { healthCheckInterval: 0 }, ...options }),
      ],
      exports: [RedisLockModule],
      global: true,
    };
  }
}
