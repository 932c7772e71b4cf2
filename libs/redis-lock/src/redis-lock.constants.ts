/** Injection token of the validated module configuration (`ResolvedLockConfig`). */
export const REDIS_LOCK_CONFIG = Symbol.for('@lynx-nest/redis-lock:config');
/** Injection token of the module's `LockStore`. */
export const LOCK_STORE = Symbol.for('@lynx-nest/redis-lock:store');

/** Name of the module instance that `forRoot` without `name` registers. */
export const DEFAULT_LOCK_SERVICE_NAME = 'default';
/** @internal Injection token of the module instance's name (`forRoot({ name })` / `forRootAsync({ name })`). */
export const REDIS_LOCK_INSTANCE_NAME = Symbol.for('@lynx-nest/redis-lock:instance-name');

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
