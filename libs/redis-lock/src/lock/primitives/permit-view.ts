import type { LockStore, StoredLockInfo } from '../../store/lock-store.js';
import type { PermitSpec, PermitStore } from '../../store/permit-store.js';

/**
 * @internal The store as one kind of permit request sees it: the mutex calls the lock layer makes
 * (`acquireFair`, `release`, `renew`, `onRelease`, ...) mapped onto the {@link PermitStore} methods
 * of the request's family, so read-write locks and semaphores go through the same acquire loop,
 * queue hand-off, handles, renewal and shutdown as mutexes. Grants always carry a fencing token.
 *
 * @example
 * const view = permitView(store, { family: 'sem', count: 1, limit: 4, fence: 'mint' });
 * await view.acquireFair!('api', owner, 30_000, 2000, true);
 */
export function permitView(store: LockStore & PermitStore, spec: PermitSpec): LockStore {
  const family = spec.family;
  const holder = async (name: string, owner: string) =>
    (await store.inspectPermits(name, family)).holders.find((h) => h.owner === owner);
  const view: LockStore & { fairQueue: true } = {
    kind: store.kind,
    fairQueue: true,
    init: () => store.init(),
    acquire: (name, owner, ttlMs, reentrant) => store.acquirePermits(name, owner, spec, ttlMs, 0, false, reentrant),
    acquireFair: (name, owner, ttlMs, queueTtlMs, queue) =>
      store.acquirePermits(name, owner, spec, ttlMs, queueTtlMs, queue, false),
    leaveFairQueue: (name, owner) => store.leavePermitQueue(name, family, owner),
    mintFence: async (name, owner) => (await holder(name, owner))?.fence,
    release: (name, owner) => store.releasePermits(name, family, owner),
    renew: (name, owner, ttlMs) => store.renewPermits(name, family, owner, ttlMs),
    renewMany: (requests) => store.renewMany(requests.map((r) => ({ ...r, family }))),
    inspect: async (name): Promise<StoredLockInfo> => {
      const info = await store.inspectPermits(name, family);
      const first = info.holders[0];
      return {
        name,
        held: info.holders.length > 0,
        owner: first?.owner,
        holdCount: first?.holds ?? 0,
        ttlMs: first?.ttlMs ?? -2,
        fence: first?.fence,
        waiters: info.waiters,
      };
    },
    list: async (prefix, limit) =>
      (await store.listPermits(prefix, limit)).filter((e) => e.family === family).map((e) => e.name),
    forceRelease: (name) => store.forceReleasePermits(name, family),
    onRelease: (name, listener) => store.onPermitRelease(name, family, listener),
    watchRelease: store.watchPermitRelease
      ? (name, listener) => store.watchPermitRelease!(name, family, listener)
      : undefined,
    ping: () => store.ping(),
    close: async () => undefined, // the view owns nothing
  };
  return view;
}
