/** Injection token of the validated module configuration (`ResolvedLockConfig`). */
export const REDIS_LOCK_CONFIG = Symbol.for('@lynx-nest/redis-lock:config');
/** Injection token of the module's `LockStore`. */
export const LOCK_STORE = Symbol.for('@lynx-nest/redis-lock:store');

/**
 * Token of the `LockService` of a named module instance (`forRoot({ name })`). The default
 * instance is also available as the `LockService` class itself.
 *
 * @example
 * constructor(@Inject(getLockServiceToken('billing')) private readonly billingLocks: LockService) {}
 */
export function getLockServiceToken(name = 'default'): string | symbol {
  return Symbol.for(`@lynx-nest/redis-lock:service:${name}`);
}
