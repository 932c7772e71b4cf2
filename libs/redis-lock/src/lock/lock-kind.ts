import type { LockStore } from '../store/lock-store.js';
import type { PermitSpec } from '../store/permit-store.js';

/**
 * What a holding is: a `mutex` (`withLock`, `acquire`), the `read` or `write` side of a read-write
 * lock, or permits of a `semaphore`. Events, statistics and the `kind` metric label carry it.
 *
 * @example
 * locks.events.on('acquired', (e) => e.kind === 'read' && readers.inc());
 */
export type LockKind = 'mutex' | 'read' | 'write' | 'semaphore';

/**
 * @internal A holding of a read-write lock or semaphore: what it asked for, the store view its
 * calls go through (see permit-view.ts), and its key in the async context (reentrancy).
 */
export interface HeldPrimitive {
  kind: Exclude<LockKind, 'mutex'>;
  spec: PermitSpec;
  store: LockStore;
  /** Key of the holding in `lockContext`; `undefined` for a semaphore (never reentrant). */
  contextKey: string | undefined;
}

/**
 * @internal The async-context key of a read-write lock's holdings (read and write share it, so a
 * read inside a write is a reentrant hold). The NUL cannot occur in a lock name.
 */
export const readWriteContextKey = (name: string): string => `rw\u0000${name}`;

/**
 * Every {@link LockKind}, in the order statistics and the dashboard list them: the values of the
 * `kind` metric label and the keys of `LockStatistics.byKind`.
 *
 * @example
 * for (const kind of LOCK_KINDS) console.log(kind, locks.getStatistics().byKind[kind].active);
 */
export const LOCK_KINDS: readonly LockKind[] = ['mutex', 'read', 'write', 'semaphore'];
