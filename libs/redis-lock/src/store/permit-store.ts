import type { FairAcquireResult } from './acquire-result.js';
import type { ReleaseListener } from './release-event.js';

/**
 * The key family of a permit-based primitive: `rw` (read-write lock) or `sem` (semaphore). Each
 * family of a name has keys of its own (see `permitKeys`), so a mutex, a read-write lock and a
 * semaphore of the same name are three independent things.
 *
 * @example
 * const family: PermitFamily = 'sem';
 */
export type PermitFamily = 'rw' | 'sem';

/**
 * Permits of a read-write lock: a reader takes 1, a writer all of them, so a writer excludes
 * everyone and readers exclude only writers (one queue and one hand-off for both).
 *
 * @default 1073741824 (2^30)
 * @example
 * const writer: PermitSpec = { family: 'rw', count: RW_PERMITS, limit: RW_PERMITS, fence: 'mint' };
 */
export const RW_PERMITS = 1_073_741_824;

/**
 * What one permit request asks for.
 *
 * @example
 * const reader: PermitSpec = { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' };
 * const twoOfFour: PermitSpec = { family: 'sem', count: 2, limit: 4, fence: 'mint' };
 */
export interface PermitSpec {
  family: PermitFamily;
  /** Permits this holding takes (1..limit). */
  count: number;
  /**
   * Total permits of the name. Every request passes it and the last one wins: a lower limit admits
   * nobody new until enough holders release (no holder is revoked), a higher one admits waiters at once.
   */
  limit: number;
  /**
   * `mint`: the holding gets a new fencing token, above every earlier token of the name (writers,
   * semaphore holders). `share`: it gets the name's current token, minted only when there is none
   * (readers).
   */
  fence: 'mint' | 'share';
}

/** One holder of a permit-based primitive, as the store sees it. */
export interface StoredPermitHolder {
  /** Full owner token (bearer secret: callers must not expose it). */
  owner: string;
  /** Permits it holds. */
  count: number;
  /** Reentrant holds of it (read inside read or write). */
  holds: number;
  /** Remaining TTL in ms. */
  ttlMs: number;
  /** Its fencing token. */
  fence: number;
}

/** What the store knows of one read-write lock or semaphore. */
export interface StoredPermitInfo {
  name: string;
  family: PermitFamily;
  /** Total permits as last set (0 when the name has no state). */
  limit: number;
  /** Permits held by live holders. */
  used: number;
  /** Live holders (expired ones are not listed). */
  holders: StoredPermitHolder[];
  /** Live waiters in the queue. */
  waiters: number;
}

/**
 * The storage contract of read-write locks and semaphores: one fair queue per name and family, and
 * holders that each hold `count` of `limit` permits until they release or their TTL runs out.
 *
 * Semantics (every implementation; the contract suite checks them):
 * - A holder's permits expire with its TTL; every operation first drops expired holders.
 * - FIFO, head of line: a request is granted only when no live waiter is ahead of it and its count
 *   fits (`used + count <= limit`). Whenever permits free up (release, expiry seen by an attempt, a
 *   higher limit) the queue's heads are granted in order while they fit: several readers after a
 *   writer's release in one step, never a later request before an earlier one that does not fit.
 * - A grant to a waiter is published on the family's release channel as a hand-off
 *   (`ReleaseEvent` `handedOff`, one per grant), so the waiter holds without an attempt of its own.
 * - Reentrancy: `reentrant` with an owner that holds already adds one hold (no permits, same token);
 *   without it, an owner that holds already was handed the permits by a release (`handedOff: true`).
 *
 * @example
 * const r = await store.acquirePermits('report', owner, reader, 30_000, 2000, true, false);
 * if (r.acquired) await store.releasePermits('report', 'rw', owner);
 */
export interface PermitStore {
  /**
   * One attempt. `queue: true` enqueues (or refreshes) the caller for `queueTtlMs` when it cannot be
   * granted; `false` only tries. A busy answer's `holderTtlMs` is the time until the first live
   * holder's permits expire (-1 when unknown); `heldBySelf` is never true (see reentrancy).
   */
  acquirePermits(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    reentrant: boolean,
  ): Promise<FairAcquireResult>;
  /** Drop one hold; at the last, free the permits and grant the queue's heads. Holds left, -1 when not a holder. */
  releasePermits(name: string, family: PermitFamily, owner: string): Promise<number>;
  /** Owner-checked TTL reset of a holding; `false` when `owner` no longer holds. */
  renewPermits(name: string, family: PermitFamily, owner: string, ttlMs: number): Promise<boolean>;
  /** Leave the queue; when a release already granted `owner`, release that grant (passing it on). */
  leavePermitQueue(name: string, family: PermitFamily, owner: string): Promise<void>;
  /** Current state of a name. */
  inspectPermits(name: string, family: PermitFamily): Promise<StoredPermitInfo>;
  /** Names with state (holders or waiters) starting with `prefix`, at most `limit`. */
  listPermits(prefix: string, limit: number): Promise<{ name: string; family: PermitFamily }[]>;
  /** Delete every holder and waiter of a name, telling waiters. Whether it had state. */
  forceReleasePermits(name: string, family: PermitFamily): Promise<boolean>;
  /** As `LockStore.onRelease`, on the family's channel. */
  onPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): Promise<() => void>;
  /** As `LockStore.watchRelease`, on the family's channel. */
  watchPermitRelease?(name: string, family: PermitFamily, listener: ReleaseListener): (() => void) | undefined;
}

/**
 * Whether `store` implements {@link PermitStore} (the Redis single/Sentinel/Cluster and memory
 * stores do; Redlock does not).
 *
 * @example
 * if (!supportsPermits(store)) throw new Error('read-write locks need a single Redis, Sentinel or Cluster');
 */
export function supportsPermits<S extends object>(store: S): store is S & PermitStore {
  const s = store as Partial<PermitStore> & { permits?: boolean };
  return typeof s.acquirePermits === 'function' && s.permits !== false;
}
