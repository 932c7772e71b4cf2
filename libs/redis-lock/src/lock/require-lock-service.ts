import type { LockService } from './lock.service.js';

/**
 * The `LockService` a module of this package injected (optionally), or a start-up error that names
 * the fix instead of Nest's generic "can't resolve dependencies".
 *
 * @param locks what Nest injected for `LockService` (`undefined` when no module provides it)
 * @param consumer who needs it, for the message (`RedisLockHealthModule (RedisLockHealthIndicator)`)
 * @example
 * constructor(@Optional() locks?: LockService) {
 *   this.locks = requireLockService(locks, 'RedisLockHealthModule (RedisLockHealthIndicator)');
 * }
 */
export function requireLockService(locks: LockService | undefined | null, consumer: string): LockService {
  if (locks) return locks;
  throw new Error(
    `${consumer} needs the LockService of RedisLockModule, and none is visible to it: ` +
      'import RedisLockModule.forRoot(...) in the same app (or forRootAsync(...); LockTestingModule.forRoot() in unit tests). ' +
      'It is global by default; with isGlobal: false, import it in the module that imports this one.',
  );
}
