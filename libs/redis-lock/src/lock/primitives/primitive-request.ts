import { InvalidLockOptionsError } from '../../errors/index.js';
import type { LockStore } from '../../store/lock-store.js';
import { RW_PERMITS, supportsPermits, type PermitSpec, type PermitStore } from '../../store/permit-store.js';
import { readWriteContextKey, type HeldPrimitive } from '../lock-kind.js';
import { permitView } from './permit-view.js';

/**
 * Most permits a semaphore may have.
 *
 * @default 1000000
 * @example
 * locks.semaphore('api', { permits: MAX_SEMAPHORE_PERMITS }); // the largest allowed
 */
export const MAX_SEMAPHORE_PERMITS = 1_000_000;

/** @internal What a read-write lock or semaphore call asks the handle controller for. */
export type PrimitiveRequest =
  | { kind: 'read' | 'write' }
  | { kind: 'semaphore'; /** total permits */ permits: number; /** permits to take */ count: number };

/**
 * Checks a semaphore's `permits` and `count` (integers, 1 ≤ count ≤ permits ≤ 1,000,000) and throws
 * `InvalidLockOptionsError` naming each bad field.
 *
 * @example
 * assertPermitCounts(4, 2); // fine
 * assertPermitCounts(4, 5); // throws: count must be at most permits (4)
 */
export function assertPermitCounts(permits: unknown, count: unknown): void {
  const problems: { path: string; problem: string }[] = [];
  const isCount = (v: unknown, max: number): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;
  if (!isCount(permits, MAX_SEMAPHORE_PERMITS)) {
    problems.push({ path: 'permits', problem: `must be an integer from 1 to ${MAX_SEMAPHORE_PERMITS}` });
  } else if (!isCount(count, permits)) {
    problems.push({ path: 'count', problem: `must be an integer from 1 to permits (${permits})` });
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems);
}

/**
 * `store` as a {@link PermitStore}, or `InvalidLockOptionsError` (field `permits` for a semaphore,
 * `mode` for a read-write lock) when it has none (Redlock).
 *
 * @example
 * const permits = permitStoreOf(store, 'semaphore'); // throws on a RedlockStore
 */
export function permitStoreOf(store: LockStore, kind: PrimitiveRequest['kind']): LockStore & PermitStore {
  if (supportsPermits(store)) return store;
  const what = kind === 'semaphore' ? 'semaphores' : 'read-write locks';
  const problem = `${what} need a single Redis, Sentinel or Cluster store (the ${store.kind} store has none)`;
  throw new InvalidLockOptionsError([{ path: kind === 'semaphore' ? 'permits' : 'mode', problem }]);
}

/**
 * @internal The holding a request asks for: its permit spec and the store view it goes through
 * (cached in `views` per spec). Throws `InvalidLockOptionsError` when the store has no permit
 * support (Redlock) or the counts are out of range.
 */
export function primitiveFor(
  store: LockStore,
  name: string,
  request: PrimitiveRequest,
  views: Map<string, LockStore>,
): HeldPrimitive {
  const permits = permitStoreOf(store, request.kind);
  let spec: PermitSpec;
  if (request.kind === 'semaphore') {
    assertPermitCounts(request.permits, request.count);
    spec = { family: 'sem', count: request.count, limit: request.permits, fence: 'mint' };
  } else {
    const write = request.kind === 'write';
    spec = { family: 'rw', count: write ? RW_PERMITS : 1, limit: RW_PERMITS, fence: write ? 'mint' : 'share' };
  }
  const id = `${spec.family}:${spec.count}:${spec.limit}`;
  let view = views.get(id);
  if (!view) {
    if (views.size >= 256) views.clear();
    view = permitView(permits, spec);
    views.set(id, view);
  }
  return {
    kind: request.kind,
    spec,
    store: view,
    contextKey: request.kind === 'semaphore' ? undefined : readWriteContextKey(name),
  };
}
