import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockOptionsError, LockKeyTypeError } from '../errors/index.js';
import type { LockStore } from '../store/lock-store.js';
import { assertLockName, unsafeRanges } from '../store/lock-keys.js';
import { ownerInstance } from '../store/owner-token.js';
import { RW_PERMITS, supportsPermits, type PermitFamily, type StoredPermitInfo } from '../store/permit-store.js';
import { HEALTH_PROBE_KEY } from './lock-health.check.js';
import {
  LOCK_INFO_KINDS,
  type LockHolderInfo,
  type LockInfo,
  type LockInfoKind,
  type ReadWriteLockInfo,
  type SemaphoreInfo,
} from './lock-info.js';
import type { LockLogger } from './lock-logger.js';

/** What a `list()` prefix must not contain: braces and every character lock names refuse. */
const UNSAFE_PREFIX = new RegExp(`[{}${unsafeRanges()}]`);

const isLockName = (name: string): boolean => {
  try {
    assertLockName(name);
    return true;
  } catch {
    return false;
  }
};

/** `list()`: a key of another Redis type at a lock key is another client's data, not a lock. */
const skipWrongType = (error: unknown): undefined => {
  if (error instanceof LockKeyTypeError) return undefined;
  throw error;
};

/**
 * Up to `limit` names from a store listing (`store.list`, `store.listPermits`), without the health
 * probe's reserved name and names this module could not have written (another client's keys under
 * the same prefix): those are skipped, not fatal, and when they took slots the store is asked again
 * for more (bounded).
 */
async function listNames<T extends string | { name: string }>(
  limit: number,
  fetch: (want: number) => Promise<T[]>,
): Promise<T[]> {
  const nameOf = (entry: T): string => (typeof entry === 'string' ? entry : entry.name);
  let kept: T[] = [];
  for (let want = limit + 1; ; want = Math.min(want * 4, limit * 10 + 10)) {
    const found = await fetch(want);
    kept = found.filter((entry) => nameOf(entry) !== HEALTH_PROBE_KEY && isLockName(nameOf(entry)));
    if (kept.length >= limit || found.length < want || want >= limit * 10 + 10) break;
  }
  return kept.slice(0, limit);
}

/** The store family of a permit-based kind. */
const FAMILY: Record<Exclude<LockInfoKind, 'mutex'>, PermitFamily> = { 'read-write': 'rw', semaphore: 'sem' };
const KIND_OF: Record<PermitFamily, LockInfoKind> = { rw: 'read-write', sem: 'semaphore' };

/** `list()` order: by name (code units), then mutex, read-write, semaphore. */
const byNameThenKind = (a: { name: string; kind: LockInfoKind }, b: { name: string; kind: LockInfoKind }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : LOCK_INFO_KINDS.indexOf(a.kind) - LOCK_INFO_KINDS.indexOf(b.kind);

/**
 * Inspection and administration behind `LockService.inspect`, `list` and `forceRelease`: what the
 * store holds (mutexes, read-write locks, semaphores), shown without owner tokens (only each
 * holder's instance id).
 *
 * @example
 * const admin = new LockAdmin(store, config, logger);
 * const { held, owner } = await admin.inspect('job:report');
 * const { readers, writer } = (await admin.inspect('catalog', 'read-write')) as ReadWriteLockInfo;
 */
export class LockAdmin {
  constructor(
    private readonly store: LockStore,
    private readonly config: ResolvedLockConfig,
    private readonly logger: LockLogger,
  ) {}

  /** See `LockService.inspect`. */
  async inspect(key: string, kind: LockInfoKind = 'mutex'): Promise<LockInfo> {
    const name = assertLockName(key);
    if (!LOCK_INFO_KINDS.includes(kind)) {
      const problem = `must be one of ${LOCK_INFO_KINDS.map((k) => `'${k}'`).join(', ')}`;
      throw new InvalidLockOptionsError([{ path: 'kind', problem }]);
    }
    if (kind !== 'mutex') return this.inspectPermits(name, kind);
    const info = await this.store.inspect(name);
    return {
      key: name,
      kind: 'mutex',
      held: info.held,
      ...(info.owner ? { owner: ownerInstance(info.owner) } : {}),
      heldByThisInstance: info.owner !== undefined && ownerInstance(info.owner) === this.config.instanceId,
      holdCount: info.holdCount,
      ttlMs: info.ttlMs,
      ...(info.fence !== undefined ? { fence: info.fence } : {}),
      waiters: info.waiters,
    };
  }

  /** See `LockService.list`. */
  async list(prefix: string, limit: number): Promise<LockInfo[]> {
    if (typeof prefix !== 'string' || UNSAFE_PREFIX.test(prefix)) {
      const problem = 'must be a string without braces, control, bidi or zero-width characters';
      throw new InvalidLockOptionsError([{ path: 'prefix', problem }]);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidLockOptionsError([{ path: 'limit', problem: 'must be an integer from 1 to 1000' }]);
    }
    const store = this.store;
    const found: { name: string; kind: LockInfoKind }[] = (
      await listNames(limit, (want) => store.list(prefix, want))
    ).map((name) => ({ name, kind: 'mutex' }));
    if (supportsPermits(store)) {
      const permits = await listNames(limit, (want) => store.listPermits(prefix, want));
      for (const entry of permits) found.push({ name: entry.name, kind: KIND_OF[entry.family] });
    }
    const wanted = found.sort(byNameThenKind).slice(0, limit);
    // A key of another type under the prefix (another client's data) is not a lock: skipped.
    const infos = await Promise.all(wanted.map((e) => this.inspect(e.name, e.kind).catch(skipWrongType)));
    return infos.filter((info): info is LockInfo => info !== undefined && info.held);
  }

  /** A read-write lock's or semaphore's state, each holder shown by its instance id only. */
  private async inspectPermits(
    name: string,
    kind: Exclude<LockInfoKind, 'mutex'>,
  ): Promise<ReadWriteLockInfo | SemaphoreInfo> {
    const store = this.store;
    if (!supportsPermits(store)) {
      const what = kind === 'semaphore' ? 'semaphores' : 'read-write locks';
      const problem = `is '${kind}', but ${what} need a single Redis, Sentinel or Cluster store (the ${store.kind} store has none)`;
      throw new InvalidLockOptionsError([{ path: 'kind', problem }]);
    }
    const info = await store.inspectPermits(name, FAMILY[kind]);
    const base = this.holdingsOf(name, info);
    if (kind === 'semaphore') {
      const permits = { limit: info.limit, used: info.used, free: Math.max(0, info.limit - info.used) };
      return { ...base, kind, permits };
    }
    const writer = info.holders.some((h) => h.count >= RW_PERMITS);
    const readers = info.holders.filter((h) => h.count < RW_PERMITS).length;
    return { ...base, kind, readers, writer };
  }

  /** The fields every permit-based kind shares, from the store's view; owner tokens reduced to instance ids. */
  private holdingsOf(name: string, info: StoredPermitInfo) {
    const me = this.config.instanceId;
    // Built field by field: a stored holder carries its owner token, which must not be copied along.
    const holders: LockHolderInfo[] = info.holders.map((h) => {
      const owner = ownerInstance(h.owner);
      return { owner, thisInstance: owner === me, count: h.count, holds: h.holds, ttlMs: h.ttlMs, fence: h.fence };
    });
    const owners = new Set(holders.map((h) => h.owner));
    const fences = holders.map((h) => h.fence).filter((f) => Number.isFinite(f));
    return {
      key: name,
      held: holders.length > 0,
      ...(owners.size === 1 ? { owner: holders[0].owner } : {}),
      heldByThisInstance: holders.some((h) => h.thisInstance),
      holdCount: holders.reduce((sum, h) => sum + h.holds, 0),
      ttlMs: holders.length > 0 ? Math.max(...holders.map((h) => h.ttlMs)) : -2,
      ...(fences.length > 0 ? { fence: Math.max(...fences) } : {}),
      waiters: info.waiters,
      holders,
    };
  }

  /** See `LockService.forceRelease`. */
  async forceRelease(key: string): Promise<boolean> {
    const name = assertLockName(key);
    if (!this.config.adminEnabled) {
      this.logger.warn(`forceRelease("${name}") refused: admin.enabled is false`);
      throw new InvalidLockOptionsError([{ path: 'admin.enabled', problem: 'must be true to use forceRelease()' }]);
    }
    const existed = await this.store.forceRelease(name);
    this.logger.warn(`forceRelease("${name}"): ${existed ? 'deleted' : 'was not held'}`);
    return existed;
  }
}
