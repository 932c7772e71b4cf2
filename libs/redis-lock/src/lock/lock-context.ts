import { AsyncLocalStorage } from 'node:async_hooks';
import { processWide } from '../runtime/process-wide.state.js';
import type { LockHandle } from './handles/lock-handle.js';

/** Locks held by the current async call tree, innermost last. */
interface HeldLocks {
  readonly byKey: ReadonlyMap<string, LockHandle>;
  readonly current?: LockHandle;
  readonly service: unknown;
}

// Process-wide, so `currentLock()` of one copy of the package (ESM or CommonJS build) sees the locks of another.
const storage = processWide('lock-context', () => new AsyncLocalStorage<HeldLocks>());
const NONE: readonly LockHandle[] = Object.freeze([]);

/**
 * Reentrancy scope: which locks the current async context holds. A nested `withLock` on a key
 * held by an enclosing callback of the same service reuses that ownership; any other async context
 * (another request) is a different owner. Scoped per `LockService` instance.
 */
export const lockContext = {
  /** The handle the current context holds for `key` (a mutex name, or `readWriteContextKey`) under `service`, if any. */
  held(service: unknown, key: string): LockHandle | undefined {
    const store = storage.getStore();
    return store && store.service === service ? store.byKey.get(key) : undefined;
  },
  /** Every lock the current context holds under `service` (outermost holds; deadlock detection). */
  heldAll(service: unknown): readonly LockHandle[] {
    const store = storage.getStore();
    if (!store || store.service !== service) return NONE;
    // Mutexes only: deadlock detection records waits in mutex keys.
    const mutexes = [...store.byKey.values()].filter((handle) => handle.state.primitive === undefined);
    return [...new Set(mutexes.map((handle) => handle.parent ?? handle))];
  },
  /** Runs `fn` with `handles` added to the held set. */
  run<T>(service: unknown, handles: readonly LockHandle[], fn: () => T): T {
    const parent = storage.getStore();
    const byKey = new Map(parent && parent.service === service ? parent.byKey : []);
    for (const handle of handles) {
      // A read-write lock's holdings under their own key (never a mutex's); a semaphore's under none.
      const primitive = handle.state.primitive;
      const key = primitive ? primitive.contextKey : handle.getKey();
      if (key !== undefined) byKey.set(key, handle);
    }
    return storage.run({ byKey, current: handles[handles.length - 1], service }, fn);
  },
  /** The innermost lock of the current context (any service). */
  current(): LockHandle | undefined {
    return storage.getStore()?.current;
  },
};

/**
 * The innermost lock held by the current async context, e.g. inside a `@WithLock` method, or
 * `undefined` outside any lock.
 *
 * @example
 * @WithLock('invoice:{0}')
 * async issue(id: string) {
 *   const lock = currentLock()!;
 *   await this.db.write(id, { fence: lock.fence });
 * }
 */
export function currentLock(): LockHandle | undefined {
  return lockContext.current();
}
