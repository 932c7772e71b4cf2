import { processWide } from '../runtime/process-wide.state.js';
import type { LockHandle } from './handles/lock-handle.js';
import type { LockKind } from './lock-kind.js';
import type { LockOptions } from './lock-options.js';
import type { MultiLockCallback, TryRunResult } from './multi-lock.js';

/**
 * What `@WithLock` calls on a registered service; `LockService` has all of it. Declared here rather
 * than imported so that the registry does not depend on the service that registers itself in it.
 */
export interface RegisteredLockService {
  withLock<T>(key: string, fn: (lock: LockHandle) => Promise<T> | T, options?: LockOptions): Promise<T>;
  withLocks<T>(keys: readonly string[], fn: MultiLockCallback<T>, options?: LockOptions): Promise<T>;
  tryWithLocks<T>(keys: readonly string[], fn: MultiLockCallback<T>, options?: LockOptions): Promise<TryRunResult<T>>;
  noteSkipped(name: string, key: string, kind?: LockKind): void;
  semaphore(
    name: string,
    options: { permits: number },
  ): {
    withPermits<T>(count: number, fn: (permit: LockHandle) => Promise<T> | T, options?: LockOptions): Promise<T>;
    tryWithPermits<T>(
      count: number,
      fn: (permit: LockHandle) => Promise<T> | T,
      options?: LockOptions,
    ): Promise<TryRunResult<T>>;
  };
}

// One map per process, shared by the ESM and the CommonJS build when an app loads both.
const services = processWide('lock-service-registry', () => new Map<string, RegisteredLockService>());

/**
 * Where `@WithLock` finds its `LockService` at call time. Each service registers itself under its
 * module name when Nest constructs it and leaves on shutdown. Process-wide: a `@WithLock` of one
 * copy of the package finds the service of another.
 */
export const lockServiceRegistry = {
  register(name: string, service: RegisteredLockService): void {
    services.set(name, service);
  },
  unregister(name: string, service: RegisteredLockService): void {
    if (services.get(name) === service) services.delete(name);
  },
  get(name: string): RegisteredLockService | undefined {
    return services.get(name);
  },
};
