import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LockStore } from '@lynx-nest/redis-lock';

/** What a contract run needs: a ready store (its `init()` is called by the suite) and how to tear it down. */
export interface ContractStore {
  store: LockStore;
  cleanup(): Promise<void>;
}

/** Options of {@link describeLockStoreContract}. */
export interface ContractOptions {
  /** TTL of the ordinary cases; long enough for slow topologies. @default 5000 */
  ttlMs?: number;
  /** TTL of the expiry case. @default 300 */
  shortTtlMs?: number;
  /** How long to wait for a release notification. @default 3000 */
  notifyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The {@link LockStore} contract as a reusable Vitest suite: every store (Redis single node,
 * Sentinel, Cluster, Redlock, memory) must pass the same cases. Key names are random per run, so
 * the suite can share a server with other tests. `makeStore` runs once, in `beforeAll`.
 *
 * @example
 * describeLockStoreContract('memory', async () => ({ store: new MemoryLockStore(), cleanup: async () => {} }));
 */
export function describeLockStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
  options: ContractOptions = {},
): void {
  const ttl = options.ttlMs ?? 5000;
  const shortTtl = options.shortTtlMs ?? 300;
  const notifyTimeout = options.notifyTimeoutMs ?? 3000;

  describe(`LockStore contract: ${name}`, () => {
    let ctx: ContractStore;
    let store: LockStore;
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    const key = (label = 'k') => `contract:${run}:${label}:${++counter}`;
    const owner = (label = 'o') => `contract-${label}:${randomBytes(16).toString('hex')}`;

    beforeAll(async () => {
      ctx = await makeStore();
      store = ctx.store;
      await store.init();
    }, 60_000);
    afterAll(async () => {
      await ctx?.cleanup();
    }, 30_000);

    it('has a kind and answers ping with a latency', async () => {
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
      const latency = await store.ping();
      expect(Number.isFinite(latency)).toBe(true);
      expect(latency).toBeGreaterThanOrEqual(0);
    });

    it('init can be called again', async () => {
      await expect(store.init()).resolves.toBeUndefined();
    });

    it('acquires a free lock with one hold and no token unless asked; with `fence` a positive token', async () => {
      const k = key();
      const a = owner();
      const r = await store.acquire(k, a, ttl, false);
      expect(r).toMatchObject({ acquired: true, holdCount: 1, fence: undefined });
      expect((await store.inspect(k)).fence).toBeUndefined();
      expect(await store.release(k, a)).toBe(0);
      const fenced = await store.acquire(k, a, ttl, false, true);
      expect(fenced.acquired).toBe(true);
      if (!fenced.acquired) return;
      expect(Number.isSafeInteger(fenced.fence)).toBe(true);
      expect(fenced.fence).toBeGreaterThan(0);
      expect((await store.inspect(k)).fence).toBe(fenced.fence);
      expect(await store.release(k, a)).toBe(0);
    });

    it('claims a free lock with its fast path (when it has one) and refuses a held one, by anyone', async () => {
      if (!store.claim) return; // optional: callers then use acquire
      const k = key();
      const a = owner('a');
      const b = owner('b');
      expect(await store.claim(k, a, ttl)).toBe(true);
      expect(await store.inspect(k)).toMatchObject({ held: true, owner: a, holdCount: 1 });
      expect((await store.inspect(k)).fence).toBeUndefined();
      expect(await store.claim(k, b, ttl)).toBe(false);
      expect(await store.claim(k, a, ttl)).toBe(false); // the holder too: reentrancy is the scripted path's
      expect(await store.acquire(k, b, ttl, false)).toMatchObject({ acquired: false, heldBySelf: false });
      expect(await store.acquire(k, a, ttl, true)).toMatchObject({ acquired: true, holdCount: 2 });
      expect(await store.renew(k, a, ttl)).toBe(true);
      expect(await store.release(k, a)).toBe(1);
      expect(await store.release(k, a)).toBe(0);
      expect(await store.claim(k, b, ttl)).toBe(true);
      expect(await store.release(k, b)).toBe(0);
    });

    it('mints a token on demand, owner-checked, once; tokens rise across owners', async () => {
      const k = key();
      const a = owner('a');
      const b = owner('b');
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      expect(await store.mintFence(k, b, ttl)).toBeUndefined(); // not the holder: no token
      const first = await store.mintFence(k, a, ttl);
      expect(Number.isSafeInteger(first)).toBe(true);
      expect(first).toBeGreaterThan(0);
      expect(await store.mintFence(k, a, ttl)).toBe(first); // cached in the lock: the same token again
      expect((await store.inspect(k)).fence).toBe(first);
      // A reentrant hold shares the holding's token.
      expect(await store.acquire(k, a, ttl, true, true)).toMatchObject({ acquired: true, fence: first, holdCount: 2 });
      await store.forceRelease(k);
      expect(await store.mintFence(k, a, ttl)).toBeUndefined(); // lost: a stale holder gets no token
      expect((await store.acquire(k, b, ttl, false)).acquired).toBe(true);
      expect(await store.mintFence(k, a, ttl)).toBeUndefined();
      const second = await store.mintFence(k, b, ttl);
      expect(second).toBeGreaterThan(first!);
      expect(await store.release(k, b)).toBe(0);
      const c = owner('c');
      const third = await store.acquire(k, c, ttl, false, true);
      expect(third.acquired && third.fence! > second!).toBe(true);
      expect(await store.release(k, c)).toBe(0);
    });

    it('mints the token of an unminted holding on a reentrant acquire that asks for one', async () => {
      const k = key();
      const a = owner();
      expect(await store.acquire(k, a, ttl, true)).toMatchObject({ acquired: true, fence: undefined });
      expect(await store.acquire(k, a, ttl, true)).toMatchObject({ acquired: true, fence: undefined, holdCount: 2 });
      const third = await store.acquire(k, a, ttl, true, true);
      expect(third.acquired && third.fence! > 0).toBe(true);
      expect(await store.mintFence(k, a, ttl)).toBe(third.acquired ? third.fence : -1);
      for (let left = 2; left >= 0; left--) expect(await store.release(k, a)).toBe(left);
    });

    it('reports a busy lock with the holder TTL, not held by self', async () => {
      const k = key();
      const a = owner('a');
      const b = owner('b');
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      const r = await store.acquire(k, b, ttl, false);
      expect(r.acquired).toBe(false);
      if (r.acquired) return;
      expect(r.heldBySelf).toBe(false);
      expect(r.holderTtlMs).toBeGreaterThan(0);
      expect(r.holderTtlMs).toBeLessThanOrEqual(ttl);
      // A reentrant attempt by another owner is still busy.
      expect((await store.acquire(k, b, ttl, true)).acquired).toBe(false);
      expect(await store.release(k, a)).toBe(0);
    });

    it('refuses a non-reentrant re-acquire by the holder and flags it as held by self', async () => {
      const k = key();
      const a = owner();
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      const again = await store.acquire(k, a, ttl, false);
      expect(again).toMatchObject({ acquired: false, heldBySelf: true });
      expect(await store.release(k, a)).toBe(0);
    });

    it('counts reentrant holds, keeps the fence and frees the lock on the last release', async () => {
      const k = key();
      const a = owner();
      const first = await store.acquire(k, a, ttl, true);
      const second = await store.acquire(k, a, ttl, true);
      expect(first.acquired && second.acquired).toBe(true);
      if (!first.acquired || !second.acquired) return;
      expect(second.holdCount).toBe(2);
      expect(second.fence).toBe(first.fence);
      expect((await store.inspect(k)).holdCount).toBe(2);
      expect(await store.release(k, a)).toBe(1);
      expect((await store.inspect(k)).held).toBe(true);
      expect(await store.release(k, a)).toBe(0);
      expect((await store.inspect(k)).held).toBe(false);
    });

    it('release by a non-owner returns -1 and leaves the lock alone; releasing a free lock returns -1', async () => {
      const k = key();
      const a = owner('a');
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      expect(await store.release(k, owner('b'))).toBe(-1);
      const info = await store.inspect(k);
      expect(info).toMatchObject({ held: true, owner: a });
      expect(await store.release(k, a)).toBe(0);
      expect(await store.release(k, a)).toBe(-1);
      expect(await store.release(key('never'), a)).toBe(-1);
    });

    it('renews only for the owner and extends the TTL', async () => {
      const k = key();
      const a = owner();
      expect((await store.acquire(k, a, 1000, false)).acquired).toBe(true);
      expect(await store.renew(k, owner('other'), ttl)).toBe(false);
      expect(await store.renew(k, a, ttl)).toBe(true);
      const info = await store.inspect(k);
      expect(info.ttlMs).toBeGreaterThan(1000);
      expect(info.ttlMs).toBeLessThanOrEqual(ttl);
      expect(await store.release(k, a)).toBe(0);
      expect(await store.renew(k, a, ttl)).toBe(false);
    });

    it('renews many locks at once, one answer per request in order', async () => {
      const k1 = key();
      const k2 = key();
      const k3 = key();
      const a = owner('a');
      const b = owner('b');
      expect((await store.acquire(k1, a, 1000, false)).acquired).toBe(true);
      expect((await store.acquire(k2, b, 1000, false)).acquired).toBe(true);
      expect(await store.renewMany([])).toEqual([]);
      const answers = await store.renewMany([
        { name: k1, owner: a, ttlMs: ttl },
        { name: k2, owner: a, ttlMs: ttl },
        { name: k3, owner: a, ttlMs: ttl },
        { name: k2, owner: b, ttlMs: ttl },
      ]);
      expect(answers).toEqual([true, false, false, true]);
      expect((await store.inspect(k1)).ttlMs).toBeGreaterThan(1000);
      await store.release(k1, a);
      await store.release(k2, b);
    });

    it('inspects a held lock (name, owner, holds, TTL, fence) and a free one', async () => {
      const k = key();
      const a = owner();
      const r = await store.acquire(k, a, ttl, false, true);
      if (!r.acquired) throw new Error('not acquired');
      const info = await store.inspect(k);
      expect(info).toMatchObject({ name: k, held: true, owner: a, holdCount: 1, fence: r.fence });
      expect(info.ttlMs).toBeGreaterThan(0);
      expect(info.ttlMs).toBeLessThanOrEqual(ttl);
      expect(info.waiters).toBeGreaterThanOrEqual(0);
      await store.release(k, a);
      const free = await store.inspect(k);
      expect(free).toMatchObject({ name: k, held: false, holdCount: 0, ttlMs: -2 });
      expect(free.owner).toBeUndefined();
    });

    it('lists held locks by name prefix, sorted, up to the limit', async () => {
      const prefix = `contract:${run}:list:${++counter}:`;
      const names = [`${prefix}c`, `${prefix}a`, `${prefix}b`];
      const a = owner();
      for (const n of names) expect((await store.acquire(n, a, ttl, false)).acquired).toBe(true);
      const other = key('unrelated');
      await store.acquire(other, a, ttl, false);
      expect(await store.list(prefix, 100)).toEqual([...names].sort());
      const limited = await store.list(prefix, 2);
      expect(limited).toHaveLength(2);
      for (const n of limited) expect(names).toContain(n);
      await store.release(`${prefix}b`, a);
      expect(await store.list(prefix, 100)).toEqual([`${prefix}a`, `${prefix}c`]);
      for (const n of names) await store.release(n, a);
      await store.release(other, a);
      expect(await store.list(prefix, 100)).toEqual([]);
    });

    it('force-releases whoever holds the lock, once', async () => {
      const k = key();
      const a = owner('a');
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      expect(await store.forceRelease(k)).toBe(true);
      expect((await store.inspect(k)).held).toBe(false);
      expect(await store.forceRelease(k)).toBe(false);
      expect(await store.release(k, a)).toBe(-1);
      const b = owner('b');
      expect((await store.acquire(k, b, ttl, false)).acquired).toBe(true);
      await store.release(k, b);
    });

    it('notifies release listeners on a full release and forceRelease, not after unsubscribing', async () => {
      const k = key();
      const a = owner();
      let calls = 0;
      let wake: () => void = () => undefined;
      const unsubscribe = await store.onRelease(k, () => {
        calls++;
        wake();
      });
      const notified = () =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), notifyTimeout);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });

      expect((await store.acquire(k, a, ttl, true)).acquired).toBe(true);
      expect((await store.acquire(k, a, ttl, true)).acquired).toBe(true);
      // Someone found it busy: the last release must tell (a lock nobody waited for may skip it).
      expect((await store.acquire(k, owner('b'), ttl, false)).acquired).toBe(false);
      expect(await store.release(k, a)).toBe(1); // one hold left: no notification
      let heard = notified();
      expect(await store.release(k, a)).toBe(0);
      expect(await heard).toBe(true);
      expect(calls).toBe(1);

      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      heard = notified();
      expect(await store.forceRelease(k)).toBe(true);
      expect(await heard).toBe(true);
      expect(calls).toBe(2);

      unsubscribe();
      expect((await store.acquire(k, a, ttl, false)).acquired).toBe(true);
      expect((await store.acquire(k, owner('b'), ttl, false)).acquired).toBe(false);
      expect(await store.release(k, a)).toBe(0);
      await sleep(200);
      expect(calls).toBe(2);
    });

    it('issues strictly increasing fences for successive owners', async () => {
      const k = key();
      const fences: number[] = [];
      for (let i = 0; i < 4; i++) {
        const o = owner(String(i));
        const r = await store.acquire(k, o, ttl, false, true);
        if (!r.acquired) throw new Error('not acquired');
        fences.push(r.fence!);
        if (i % 2 === 0) await store.release(k, o);
        else await store.forceRelease(k);
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]);
    });

    it('lets a lock expire after its TTL: another owner gets it, the old owner can neither renew nor release', async () => {
      const k = key();
      const a = owner('a');
      const first = await store.acquire(k, a, shortTtl, false, true);
      if (!first.acquired) throw new Error('not acquired');
      await sleep(shortTtl * 2 + 50);
      expect((await store.inspect(k)).held).toBe(false);
      const b = owner('b');
      const second = await store.acquire(k, b, ttl, false, true);
      expect(second.acquired).toBe(true);
      if (second.acquired) expect(second.fence).toBeGreaterThan(first.fence!);
      expect(await store.renew(k, a, ttl)).toBe(false);
      expect(await store.release(k, a)).toBe(-1);
      expect(await store.release(k, b)).toBe(0);
    });
  });
}
