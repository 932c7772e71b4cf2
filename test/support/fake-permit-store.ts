import {
  MemoryLockStore,
  type LockStore,
  type PermitFamily,
  type PermitStore,
  type StoredPermitInfo,
} from '@lynx-nest/redis-lock';

/** What the fake adds beside the {@link PermitStore} methods. */
interface FakePermitControls {
  /** Permit calls made, e.g. `acquire rw __lynx_health_probe__`, `release rw __lynx_health_probe__`. */
  calls: string[];
  /** Sets the state `inspectPermits` / `listPermits` report for `info.name` and `info.family`. */
  setPermits(info: Omit<StoredPermitInfo, 'used'> & { used?: number }): void;
  /** When set, every permit call rejects with it (a missing script, a broken permit path). */
  failPermits?: Error;
  /** When set, every permit call waits this long first (a hanging permit path). */
  permitDelayMs?: number;
}

/** A memory store with scripted read-write lock and semaphore state (see {@link withFakePermits}). */
export type FakePermitStore = MemoryLockStore & PermitStore & FakePermitControls;

/**
 * A memory store without read-write locks and semaphores, as Redlock is (`supportsPermits` is false),
 * whatever `MemoryLockStore` itself implements.
 *
 * @example
 * await expect(locks.inspect('x', 'semaphore')).rejects.toBeInstanceOf(InvalidLockOptionsError);
 */
export function withoutPermits(store: MemoryLockStore = new MemoryLockStore()): LockStore {
  return Object.assign(store, { acquirePermits: undefined }) as LockStore;
}

/**
 * The observability side of `PermitStore` over a `MemoryLockStore`, for unit tests of inspection,
 * listing, health and the dashboard: its state is set by the test (`setPermits`), not by a queue;
 * `acquirePermits` always grants (fence 1) and `releasePermits` drops the holder. The methods are
 * assigned onto the instance, so they replace whatever `MemoryLockStore` itself implements.
 *
 * @example
 * const store = withFakePermits();
 * store.setPermits({ name: 'api', family: 'sem', limit: 4, holders: [], waiters: 0 });
 */
export function withFakePermits(store: MemoryLockStore = new MemoryLockStore()): FakePermitStore {
  const state = new Map<string, StoredPermitInfo>();
  const id = (name: string, family: PermitFamily) => `${family}\u0000${name}`;
  const empty = (name: string, family: PermitFamily): StoredPermitInfo => ({
    name,
    family,
    limit: 0,
    used: 0,
    holders: [],
    waiters: 0,
  });
  const fake = store as FakePermitStore;
  const call = async (what: string) => {
    fake.calls.push(what);
    if (fake.permitDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.permitDelayMs));
    if (fake.failPermits) throw fake.failPermits;
  };
  const methods: PermitStore & Pick<FakePermitControls, 'calls' | 'setPermits'> = {
    calls: [],
    setPermits(info) {
      const used = info.used ?? info.holders.reduce((sum, h) => sum + h.count, 0);
      state.set(id(info.name, info.family), { ...info, used });
    },
    async acquirePermits(name, owner, spec, ttlMs) {
      await call(`acquire ${spec.family} ${name}`);
      const info = state.get(id(name, spec.family)) ?? empty(name, spec.family);
      info.holders.push({ owner, count: spec.count, holds: 1, ttlMs, fence: 1 });
      state.set(id(name, spec.family), { ...info, limit: spec.limit, used: info.used + spec.count });
      return { acquired: true, fence: 1, holdCount: 1, handedOff: false };
    },
    async releasePermits(name, family, owner) {
      await call(`release ${family} ${name}`);
      const info = state.get(id(name, family));
      const holder = info?.holders.find((h) => h.owner === owner);
      if (!info || !holder) return -1;
      info.holders = info.holders.filter((h) => h !== holder);
      info.used -= holder.count;
      if (info.holders.length === 0 && info.waiters === 0) state.delete(id(name, family));
      return 0;
    },
    async renewPermits(name, family, owner) {
      await call(`renew ${family} ${name}`);
      return state.get(id(name, family))?.holders.some((h) => h.owner === owner) ?? false;
    },
    async leavePermitQueue(name, family) {
      await call(`leave ${family} ${name}`);
    },
    async inspectPermits(name, family) {
      await call(`inspect ${family} ${name}`);
      const info = state.get(id(name, family)) ?? empty(name, family);
      return { ...info, holders: info.holders.map((h) => ({ ...h })) };
    },
    async listPermits(prefix, limit) {
      await call(`list ${prefix}`);
      return [...state.values()]
        .filter((info) => info.name.startsWith(prefix) && (info.holders.length > 0 || info.waiters > 0))
        .map(({ name, family }) => ({ name, family }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, limit);
    },
    async forceReleasePermits(name, family) {
      await call(`force ${family} ${name}`);
      return state.delete(id(name, family));
    },
    async onPermitRelease() {
      return () => undefined;
    },
  };
  return Object.assign(fake, methods);
}
