import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RW_PERMITS,
  supportsPermits,
  type FairAcquireResult,
  type LockStore,
  type PermitFamily,
  type PermitSpec,
  type PermitStore,
  type ReleaseEvent,
} from '@lynx-nest/redis-lock';
import type { ContractStore } from './lock-store-contract.js';

/**
 * Options of {@link describePermitStoreContract}.
 *
 * @example
 * const slow: PermitContractOptions = { ttlMs: 10_000, shortTtlMs: 600 };
 */
export interface PermitContractOptions {
  /** TTL of the ordinary cases and of their queue entries; long enough for slow topologies. @default 5000 */
  ttlMs?: number;
  /** TTL of the expiry cases (holders and queue entries that run out). @default 300 */
  shortTtlMs?: number;
  /** How long to wait for a release-channel event. @default 3000 */
  notifyTimeoutMs?: number;
  /** How long to listen for events that must not come (after the expected ones arrived). @default 200 */
  quietMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reader of a read-write lock. */
const READ: PermitSpec = { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' };
/** A writer of a read-write lock. */
const WRITE: PermitSpec = { family: 'rw', count: RW_PERMITS, limit: RW_PERMITS, fence: 'mint' };
/** `count` of a semaphore's `limit` permits. */
const sem = (count: number, limit: number): PermitSpec => ({ family: 'sem', count, limit, fence: 'mint' });

/** What a recorder heard on one name+family's release channel. */
interface Recorder {
  readonly events: ReleaseEvent[];
  /**
   * Grants (`handedOff` events) for `owner`, one per grant: a store may deliver a grant twice (a copy
   * in the releasing process at once, then the published one), which the lock layer ignores.
   */
  grantsFor(owner: string): Extract<ReleaseEvent, { kind: 'handedOff' }>[];
  /** Resolves true as soon as `check()` holds, false after the timeout. */
  until(check: () => boolean): Promise<boolean>;
  stop(): void;
}

/**
 * The {@link PermitStore} contract (read-write locks and semaphores) as a reusable Vitest suite, in the
 * style of `describeLockStoreContract`: every store that implements it (memory, Redis single node,
 * Sentinel, Cluster) must pass the same cases. Key names are random per run, so the suite can share a
 * server with other tests. `makeStore` runs once, in `beforeAll`; the suite calls `init()`.
 *
 * @example
 * describePermitStoreContract('memory', async () => ({ store: new MemoryLockStore(), cleanup: async () => {} }));
 */
export function describePermitStoreContract(
  name: string,
  makeStore: () => Promise<ContractStore>,
  options: PermitContractOptions = {},
): void {
  const ttl = options.ttlMs ?? 5000;
  const shortTtl = options.shortTtlMs ?? 300;
  const notifyTimeout = options.notifyTimeoutMs ?? 3000;
  const quiet = options.quietMs ?? 200;

  describe(`PermitStore contract: ${name}`, () => {
    let ctx: ContractStore;
    let store: LockStore & PermitStore;
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    const key = (label = 'k') => `permits:${run}:${label}:${++counter}`;
    const owner = (label = 'o') => `permits-${label}:${randomBytes(16).toString('hex')}`;

    /** One attempt; queues by default (as a waiting caller does), never reentrant unless asked. */
    const attempt = (
      k: string,
      o: string,
      spec: PermitSpec,
      how: { queue?: boolean; reentrant?: boolean; ttlMs?: number; queueTtlMs?: number } = {},
    ): Promise<FairAcquireResult> =>
      store.acquirePermits(
        k,
        o,
        spec,
        how.ttlMs ?? ttl,
        how.queueTtlMs ?? ttl,
        how.queue ?? true,
        how.reentrant ?? false,
      );

    /** Acquires or fails the test; returns the fence. */
    const hold = async (k: string, o: string, spec: PermitSpec, ttlMs = ttl): Promise<number> => {
      const r = await attempt(k, o, spec, { queue: false, ttlMs });
      expect(r, `${o} should be granted at once`).toMatchObject({ acquired: true, holdCount: 1, handedOff: false });
      if (!r.acquired) throw new Error('not acquired');
      expect(Number.isSafeInteger(r.fence)).toBe(true);
      expect(r.fence).toBeGreaterThan(0);
      return r.fence!;
    };

    /** Attempts that must come back busy (and queue the owner unless `queue: false`). */
    const busy = async (k: string, o: string, spec: PermitSpec, queue = true): Promise<void> => {
      const r = await attempt(k, o, spec, { queue });
      expect(r, `${o} should be busy`).toMatchObject({ acquired: false, heldBySelf: false });
    };

    const record = async (k: string, family: PermitFamily): Promise<Recorder> => {
      const events: ReleaseEvent[] = [];
      const stop = await store.onPermitRelease(k, family, (event) => events.push(event));
      const grantsFor = (o: string) => {
        const mine = events.filter(
          (e): e is Extract<ReleaseEvent, { kind: 'handedOff' }> => e.kind === 'handedOff' && e.isFor(o),
        );
        return mine.filter((e, i) => mine.findIndex((other) => other.fence === e.fence) === i);
      };
      const until = async (check: () => boolean) => {
        const end = Date.now() + notifyTimeout;
        while (!check()) {
          if (Date.now() > end) return false;
          await sleep(10);
        }
        return true;
      };
      return { events, grantsFor, until, stop };
    };
    const grants = (r: Recorder) => r.events.filter((e) => e.kind === 'handedOff').length;

    beforeAll(async () => {
      ctx = await makeStore();
      if (!supportsPermits(ctx.store)) throw new Error(`${name}: the store does not implement PermitStore`);
      store = ctx.store;
      await store.init();
    }, 60_000);
    afterAll(async () => {
      await ctx?.cleanup();
    }, 30_000);

    it('a writer excludes readers and readers exclude a writer; many readers hold together', async () => {
      const k = key();
      const w = owner('w');
      await hold(k, w, WRITE);
      await busy(k, owner('r'), READ, false);
      await busy(k, owner('w2'), WRITE, false);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);

      const readers = [owner('r1'), owner('r2'), owner('r3')];
      for (const r of readers) await hold(k, r, READ);
      expect(await store.inspectPermits(k, 'rw')).toMatchObject({ used: 3, waiters: 0 });
      const w2 = owner('w2');
      await busy(k, w2, WRITE, false);
      for (const r of readers.slice(0, 2)) expect(await store.releasePermits(k, 'rw', r)).toBe(0);
      await busy(k, w2, WRITE, false); // one reader is enough to keep a writer out
      expect(await store.releasePermits(k, 'rw', readers[2])).toBe(0);
      await hold(k, w2, WRITE);
      expect(await store.releasePermits(k, 'rw', w2)).toBe(0);
    });

    it('prefers a queued writer: a later reader queues behind it instead of joining the readers', async () => {
      const k = key();
      const r1 = owner('r1');
      const w = owner('w');
      const r2 = owner('r2');
      await hold(k, r1, READ);
      await busy(k, w, WRITE);
      await busy(k, r2, READ); // readers could share, but the writer is ahead
      await busy(k, r2, READ, false); // and a mere try does not jump it either
      const info = await store.inspectPermits(k, 'rw');
      expect(info).toMatchObject({ used: 1, waiters: 2 });
      expect(info.holders.map((h) => h.owner)).toEqual([r1]);
      await store.forceReleasePermits(k, 'rw');
    });

    it("a writer's release admits the run of readers at the queue's head in one step and stops at the next writer", async () => {
      const k = key();
      const w1 = owner('w1');
      const readers = [owner('r1'), owner('r2'), owner('r3')];
      const w2 = owner('w2');
      const r4 = owner('r4');
      const heard = await record(k, 'rw');
      const writerFence = await hold(k, w1, WRITE);
      for (const r of readers) await busy(k, r, READ);
      await busy(k, w2, WRITE);
      await busy(k, r4, READ);
      expect((await store.inspectPermits(k, 'rw')).waiters).toBe(5);

      expect(await store.releasePermits(k, 'rw', w1)).toBe(0);
      expect(await heard.until(() => readers.every((r) => heard.grantsFor(r).length > 0))).toBe(true);
      await sleep(quiet);
      // one grant per reader (see grantsFor), nobody else
      const granted = heard.events.filter((e) => e.kind === 'handedOff');
      expect(granted.every((e) => readers.some((r) => e.isFor(r)))).toBe(true);
      for (const r of readers) expect(heard.grantsFor(r)).toHaveLength(1);
      expect(heard.grantsFor(w2)).toHaveLength(0);
      expect(heard.grantsFor(r4)).toHaveLength(0);

      const info = await store.inspectPermits(k, 'rw');
      expect(info).toMatchObject({ used: readers.length, waiters: 2 });
      expect(info.holders.map((h) => h.owner).sort()).toEqual([...readers].sort());
      // The grants share one token, the current one (the writer's: nothing was minted since).
      const fences = readers.map((r) => heard.grantsFor(r)[0].fence);
      expect(new Set(fences).size).toBe(1);
      expect(fences[0]).toBe(writerFence);
      for (const h of info.holders) expect(h).toMatchObject({ count: 1, holds: 1, fence: writerFence });
      heard.stop();
      await store.forceReleasePermits(k, 'rw');
    });

    it("the last reader's release grants the waiting writer; the writer's release grants the reader behind it", async () => {
      const k = key();
      const readers = [owner('r1'), owner('r2')];
      const w = owner('w');
      const r3 = owner('r3');
      const heard = await record(k, 'rw');
      for (const r of readers) await hold(k, r, READ);
      await busy(k, w, WRITE);
      await busy(k, r3, READ);
      expect(await store.releasePermits(k, 'rw', readers[0])).toBe(0);
      await sleep(quiet);
      expect(heard.grantsFor(w)).toHaveLength(0); // a reader still holds
      expect(await store.releasePermits(k, 'rw', readers[1])).toBe(0);
      expect(await heard.until(() => heard.grantsFor(w).length === 1)).toBe(true);
      const granted = await attempt(k, w, WRITE);
      expect(granted).toMatchObject({ acquired: true, handedOff: true, fence: heard.grantsFor(w)[0].fence });
      expect(heard.grantsFor(r3)).toHaveLength(0);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);
      expect(await heard.until(() => heard.grantsFor(r3).length === 1)).toBe(true);
      expect(heard.grantsFor(r3)[0].fence).toBe(heard.grantsFor(w)[0].fence); // a reader shares the current token
      heard.stop();
      expect(await store.releasePermits(k, 'rw', r3)).toBe(0);
    });

    it('a writer mints a token above every earlier one; readers share the current token (minted when none)', async () => {
      const k = key();
      const r0 = owner('r0');
      const first = await hold(k, r0, READ); // no token yet: minted
      const r1 = owner('r1');
      expect(await hold(k, r1, READ)).toBe(first);
      await store.releasePermits(k, 'rw', r0);
      await store.releasePermits(k, 'rw', r1);
      const w1 = owner('w1');
      const writer1 = await hold(k, w1, WRITE);
      expect(writer1).toBeGreaterThan(first);
      await store.releasePermits(k, 'rw', w1);
      const r2 = owner('r2');
      expect(await hold(k, r2, READ)).toBe(writer1);
      await store.releasePermits(k, 'rw', r2);
      const w2 = owner('w2');
      const writer2 = await hold(k, w2, WRITE);
      expect(writer2).toBeGreaterThan(writer1);
      await store.forceReleasePermits(k, 'rw'); // a forced release does not lower tokens
      const w3 = owner('w3');
      expect(await hold(k, w3, WRITE)).toBeGreaterThan(writer2);
      await store.releasePermits(k, 'rw', w3);

      // Semaphore holders each mint: all distinct and rising.
      const s = key('sem');
      const fences: number[] = [];
      for (let i = 0; i < 3; i++) fences.push(await hold(s, owner(`s${i}`), sem(1, 3)));
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]);
      await store.forceReleasePermits(s, 'sem');
    });

    it('never grants more than the limit of a semaphore, also to concurrent attempts', async () => {
      const k = key();
      const owners = Array.from({ length: 8 }, (_, i) => owner(`s${i}`));
      const answers = await Promise.all(owners.map((o) => attempt(k, o, sem(1, 3), { queue: false })));
      const granted = owners.filter((_, i) => answers[i].acquired);
      expect(granted).toHaveLength(3);
      for (const a of answers) if (!a.acquired) expect(a.holderTtlMs).toBeGreaterThan(0);
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ limit: 3, used: 3, waiters: 0 });
      const two = owner('two');
      await busy(k, two, sem(2, 3), false);
      expect(await store.releasePermits(k, 'sem', granted[0])).toBe(0);
      await busy(k, two, sem(2, 3), false); // one free, two asked
      expect(await store.releasePermits(k, 'sem', granted[1])).toBe(0);
      await hold(k, two, sem(2, 3));
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ used: 3 });
      await busy(k, owner('late'), sem(1, 3), false);
      await store.forceReleasePermits(k, 'sem');
    });

    it("keeps the queue's head first: a later small request waits behind a big one even when it would fit", async () => {
      const k = key();
      const a = owner('a');
      const big = owner('big');
      const small = owner('small');
      const heard = await record(k, 'sem');
      await hold(k, a, sem(2, 4));
      await busy(k, big, sem(3, 4));
      await busy(k, small, sem(1, 4)); // 2 of 4 free, but the head waits for 3
      await busy(k, small, sem(1, 4), false);
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ used: 2, waiters: 2 });
      expect(await store.releasePermits(k, 'sem', a)).toBe(0);
      // Both fit now (3 + 1 = 4): granted in order, in one step.
      expect(await heard.until(() => heard.grantsFor(big).length === 1 && heard.grantsFor(small).length === 1)).toBe(
        true,
      );
      expect(heard.grantsFor(small)[0].fence).toBeGreaterThan(heard.grantsFor(big)[0].fence ?? Infinity);
      const info = await store.inspectPermits(k, 'sem');
      expect(info).toMatchObject({ used: 4, waiters: 0 });
      expect(info.holders.find((h) => h.owner === big)).toMatchObject({ count: 3 });
      heard.stop();
      await store.forceReleasePermits(k, 'sem');
    });

    it('a reentrant attempt adds a hold with the same token and no permits; as many releases free it', async () => {
      const k = key();
      const r = owner('r');
      const fence = await hold(k, r, READ);
      expect(await attempt(k, r, READ, { reentrant: true })).toEqual({
        acquired: true,
        fence,
        holdCount: 2,
        handedOff: false,
      });
      const info = await store.inspectPermits(k, 'rw');
      expect(info).toMatchObject({ used: 1 });
      expect(info.holders).toEqual([expect.objectContaining({ owner: r, count: 1, holds: 2, fence })]);
      expect(await store.releasePermits(k, 'rw', r)).toBe(1);
      expect((await store.inspectPermits(k, 'rw')).used).toBe(1);
      await busy(k, owner('w'), WRITE, false);
      expect(await store.releasePermits(k, 'rw', r)).toBe(0);
      expect(await store.releasePermits(k, 'rw', r)).toBe(-1);

      // A read inside a write: one more hold of the writer's holding.
      const w = owner('w');
      const writeFence = await hold(k, w, WRITE);
      expect(await attempt(k, w, READ, { reentrant: true })).toMatchObject({
        acquired: true,
        fence: writeFence,
        holdCount: 2,
      });
      expect(await store.inspectPermits(k, 'rw')).toMatchObject({ used: RW_PERMITS });
      expect(await store.releasePermits(k, 'rw', w)).toBe(1);
      await busy(k, owner('r2'), READ, false);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);
      expect(await store.releasePermits(k, 'rw', owner('never'))).toBe(-1);
      expect(await store.releasePermits(key('never'), 'rw', w)).toBe(-1);
    });

    it('answers handedOff: true to an owner that a release already granted, on a non-reentrant attempt', async () => {
      const k = key();
      const w = owner('w');
      const r = owner('r');
      const heard = await record(k, 'rw');
      await hold(k, w, WRITE);
      await busy(k, r, READ);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);
      expect(await heard.until(() => heard.grantsFor(r).length === 1)).toBe(true);
      const again = await attempt(k, r, READ);
      expect(again).toEqual({ acquired: true, fence: heard.grantsFor(r)[0].fence, holdCount: 1, handedOff: true });
      expect((await store.inspectPermits(k, 'rw')).holders).toEqual([expect.objectContaining({ owner: r, holds: 1 })]);
      heard.stop();
      expect(await store.releasePermits(k, 'rw', r)).toBe(0);
    });

    it('a try (queue: false) never enqueues: the next release grants nobody and a newcomer takes the permits', async () => {
      const k = key();
      const w = owner('w');
      const tryer = owner('try');
      const heard = await record(k, 'rw');
      await hold(k, w, WRITE);
      const r = await attempt(k, tryer, WRITE, { queue: false });
      expect(r).toMatchObject({ acquired: false, heldBySelf: false });
      if (!r.acquired) expect(r.holderTtlMs).toBeGreaterThan(0);
      if (!r.acquired) expect(r.holderTtlMs).toBeLessThanOrEqual(ttl);
      expect((await store.inspectPermits(k, 'rw')).waiters).toBe(0);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);
      await sleep(quiet);
      expect(grants(heard)).toBe(0);
      await hold(k, owner('newcomer'), WRITE);
      heard.stop();
      await store.forceReleasePermits(k, 'rw');
    });

    it('a queue entry not refreshed within its queue TTL no longer blocks anyone', async () => {
      const k = key();
      const w = owner('w');
      const gone = owner('gone');
      const heard = await record(k, 'rw');
      await hold(k, w, WRITE);
      expect(await attempt(k, gone, WRITE, { queueTtlMs: shortTtl })).toMatchObject({ acquired: false });
      expect((await store.inspectPermits(k, 'rw')).waiters).toBe(1);
      await sleep(shortTtl * 2 + 50);
      expect((await store.inspectPermits(k, 'rw')).waiters).toBe(0);
      expect(await store.releasePermits(k, 'rw', w)).toBe(0);
      await sleep(quiet);
      expect(heard.grantsFor(gone)).toHaveLength(0);
      await hold(k, owner('next'), WRITE); // nobody live ahead
      heard.stop();
      await store.forceReleasePermits(k, 'rw');
    });

    it("a holder whose TTL runs out frees its permits: the queue's head gets them on its next attempt", async () => {
      const k = key();
      const w = owner('w');
      const next = owner('next');
      await hold(k, w, WRITE, shortTtl);
      const first = await attempt(k, next, WRITE);
      expect(first.acquired).toBe(false);
      if (!first.acquired) expect(first.holderTtlMs).toBeGreaterThan(0);
      if (!first.acquired) expect(first.holderTtlMs).toBeLessThanOrEqual(shortTtl);
      await sleep(shortTtl * 2 + 50);
      expect(await store.inspectPermits(k, 'rw')).toMatchObject({ used: 0, holders: [], waiters: 1 });
      const second = await attempt(k, next, WRITE);
      expect(second).toMatchObject({ acquired: true, holdCount: 1 });
      expect(await store.renewPermits(k, 'rw', w, ttl)).toBe(false);
      expect(await store.releasePermits(k, 'rw', w)).toBe(-1);
      expect((await store.inspectPermits(k, 'rw')).holders.map((h) => h.owner)).toEqual([next]);
      expect(await store.releasePermits(k, 'rw', next)).toBe(0);
    });

    it('renews a holding only for its owner, and extends its TTL', async () => {
      const k = key();
      const a = owner('a');
      const b = owner('b');
      await hold(k, a, sem(1, 2), 1000);
      await hold(k, b, sem(1, 2), 1000);
      expect(await store.renewPermits(k, 'sem', owner('other'), ttl)).toBe(false);
      expect(await store.renewPermits(k, 'rw', a, ttl)).toBe(false); // another family
      expect(await store.renewPermits(k, 'sem', a, ttl)).toBe(true);
      const holders = (await store.inspectPermits(k, 'sem')).holders;
      const ttlOf = (o: string) => holders.find((h) => h.owner === o)!.ttlMs;
      expect(ttlOf(a)).toBeGreaterThan(1000);
      expect(ttlOf(a)).toBeLessThanOrEqual(ttl);
      expect(ttlOf(b)).toBeLessThanOrEqual(1000);
      expect(await store.releasePermits(k, 'sem', a)).toBe(0);
      expect(await store.renewPermits(k, 'sem', a, ttl)).toBe(false);
      expect(await store.releasePermits(k, 'sem', b)).toBe(0);
    });

    it('leaving the queue: a waiter just goes (unblocking those behind it); a granted owner passes the grant on', async () => {
      const k = key();
      const a = owner('a');
      const big = owner('big');
      const small = owner('small');
      const heard = await record(k, 'sem');
      await hold(k, a, sem(1, 2));
      await busy(k, big, sem(2, 2));
      await busy(k, small, sem(1, 2));
      await store.leavePermitQueue(k, 'sem', big);
      expect(await heard.until(() => heard.grantsFor(small).length === 1)).toBe(true);
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ used: 2, waiters: 0 });
      await store.leavePermitQueue(k, 'sem', owner('stranger')); // not queued: nothing happens
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ used: 2, waiters: 0 });
      heard.stop();
      await store.forceReleasePermits(k, 'sem');

      const r = key('rw');
      const w1 = owner('w1');
      const w2 = owner('w2');
      const w3 = owner('w3');
      const rw = await record(r, 'rw');
      await hold(r, w1, WRITE);
      await busy(r, w2, WRITE);
      await busy(r, w3, WRITE);
      expect(await store.releasePermits(r, 'rw', w1)).toBe(0);
      expect(await rw.until(() => rw.grantsFor(w2).length === 1)).toBe(true);
      await store.leavePermitQueue(r, 'rw', w2); // it gave up while the grant was on its way
      expect(await rw.until(() => rw.grantsFor(w3).length === 1)).toBe(true);
      expect(rw.grantsFor(w3)[0].fence).toBeGreaterThan(rw.grantsFor(w2)[0].fence ?? Infinity);
      const info = await store.inspectPermits(r, 'rw');
      expect(info.holders.map((h) => h.owner)).toEqual([w3]);
      expect(await store.releasePermits(r, 'rw', w2)).toBe(-1);
      rw.stop();
      expect(await store.releasePermits(r, 'rw', w3)).toBe(0);
    });

    it('the last request sets the limit: a higher one admits waiters at once, a lower one admits nobody new until used fits', async () => {
      const k = key();
      const a = owner('a');
      const b = owner('b');
      const c = owner('c');
      const d = owner('d');
      const heard = await record(k, 'sem');
      await hold(k, a, sem(1, 1));
      await busy(k, b, sem(1, 1));
      // c raises the limit to 2: b (ahead of it) is granted, c queues behind the now-full semaphore.
      await busy(k, c, sem(1, 2));
      expect(await heard.until(() => heard.grantsFor(b).length === 1)).toBe(true);
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ limit: 2, used: 2, waiters: 1 });
      // d lowers it to 1 again: with 2 used, nobody new gets in.
      await busy(k, d, sem(1, 1));
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ limit: 1, used: 2, waiters: 2 });
      expect(await store.releasePermits(k, 'sem', a)).toBe(0);
      await sleep(quiet);
      expect(heard.grantsFor(c)).toHaveLength(0); // used 1 + 1 > 1
      expect(await store.releasePermits(k, 'sem', b)).toBe(0);
      expect(await heard.until(() => heard.grantsFor(c).length === 1)).toBe(true);
      await sleep(quiet);
      expect(heard.grantsFor(d)).toHaveLength(0);
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ limit: 1, used: 1, waiters: 1 });
      heard.stop();
      await store.forceReleasePermits(k, 'sem');
    });

    it('inspects a name: limit, used, live holders (owner, count, holds, TTL, fence), live waiters; nothing for a free name', async () => {
      const k = key();
      const a = owner('a');
      const b = owner('b');
      const fa = await hold(k, a, sem(2, 5));
      const fb = await hold(k, b, sem(3, 5), 1000);
      expect(await attempt(k, b, sem(3, 5), { reentrant: true, ttlMs: 1000 })).toMatchObject({ holdCount: 2 });
      await busy(k, owner('c'), sem(1, 5));
      const info = await store.inspectPermits(k, 'sem');
      expect(info).toMatchObject({ name: k, family: 'sem', limit: 5, used: 5, waiters: 1 });
      const byOwner = new Map(info.holders.map((h) => [h.owner, h]));
      expect(byOwner.size).toBe(2);
      expect(byOwner.get(a)).toMatchObject({ count: 2, holds: 1, fence: fa });
      expect(byOwner.get(b)).toMatchObject({ count: 3, holds: 2, fence: fb });
      expect(byOwner.get(a)!.ttlMs).toBeGreaterThan(1000);
      expect(byOwner.get(a)!.ttlMs).toBeLessThanOrEqual(ttl);
      expect(byOwner.get(b)!.ttlMs).toBeGreaterThan(0);
      expect(byOwner.get(b)!.ttlMs).toBeLessThanOrEqual(1000);
      expect(await store.inspectPermits(k, 'rw')).toEqual({
        name: k,
        family: 'rw',
        limit: 0,
        used: 0,
        holders: [],
        waiters: 0,
      });
      await store.forceReleasePermits(k, 'sem');
      expect(await store.inspectPermits(k, 'sem')).toMatchObject({ used: 0, holders: [], waiters: 0 });
    });

    it('keeps the families and the mutex of one name apart', async () => {
      const k = key();
      const o = owner();
      await hold(k, o, WRITE);
      await hold(k, owner('s'), sem(1, 1));
      expect((await store.acquire(k, owner('m'), ttl, false)).acquired).toBe(true);
      expect(await store.releasePermits(k, 'sem', o)).toBe(-1);
      expect(await store.release(k, o)).toBe(-1);
      await store.forceReleasePermits(k, 'sem');
      expect((await store.inspectPermits(k, 'rw')).used).toBe(RW_PERMITS);
      await store.forceRelease(k);
      expect(await store.releasePermits(k, 'rw', o)).toBe(0);
    });

    it('lists names with holders or waiters by prefix, up to the limit', async () => {
      const prefix = `permits:${run}:list:${++counter}:`;
      const o = owner();
      await hold(`${prefix}b`, o, READ);
      await hold(`${prefix}a`, o, sem(1, 2));
      await hold(`${prefix}c`, o, WRITE);
      await busy(`${prefix}c`, owner('w'), WRITE); // a waiter does not list a name twice
      await hold(`${prefix}c`, o, sem(2, 2));
      await hold(key('unrelated'), o, READ);
      const byName = (x: { name: string; family: string }, y: { name: string; family: string }) =>
        `${x.name} ${x.family}`.localeCompare(`${y.name} ${y.family}`);
      expect((await store.listPermits(prefix, 100)).sort(byName)).toEqual([
        { name: `${prefix}a`, family: 'sem' },
        { name: `${prefix}b`, family: 'rw' },
        { name: `${prefix}c`, family: 'rw' },
        { name: `${prefix}c`, family: 'sem' },
      ]);
      expect(await store.listPermits(prefix, 2)).toHaveLength(2);
      expect(await store.releasePermits(`${prefix}b`, 'rw', o)).toBe(0);
      expect(await store.releasePermits(`${prefix}c`, 'rw', o)).toBe(0); // hands it to the waiter: still listed
      expect((await store.listPermits(prefix, 100)).sort(byName)).toEqual([
        { name: `${prefix}a`, family: 'sem' },
        { name: `${prefix}c`, family: 'rw' },
        { name: `${prefix}c`, family: 'sem' },
      ]);
      for (const [n, family] of [
        [`${prefix}a`, 'sem'],
        [`${prefix}c`, 'rw'],
        [`${prefix}c`, 'sem'],
      ] as const)
        expect(await store.forceReleasePermits(n, family)).toBe(true);
      expect(await store.listPermits(prefix, 100)).toEqual([]);
    });

    it('force-releases every holder and waiter of a name once, telling listeners', async () => {
      const k = key();
      const w = owner('w');
      const r = owner('r');
      const heard = await record(k, 'rw');
      await hold(k, w, WRITE);
      await busy(k, r, READ);
      expect(await store.forceReleasePermits(k, 'rw')).toBe(true);
      expect(await heard.until(() => heard.events.some((e) => e.kind === 'released'))).toBe(true);
      expect(grants(heard)).toBe(0);
      expect(await store.inspectPermits(k, 'rw')).toMatchObject({ used: 0, holders: [], waiters: 0 });
      expect(await store.forceReleasePermits(k, 'rw')).toBe(false);
      expect(await store.releasePermits(k, 'rw', w)).toBe(-1);
      expect(await store.renewPermits(k, 'rw', w, ttl)).toBe(false);
      await hold(k, r, READ); // fresh: nobody queued any more
      heard.stop();
      const before = heard.events.length;
      expect(await store.forceReleasePermits(k, 'rw')).toBe(true);
      await sleep(quiet);
      expect(heard.events.length).toBe(before); // unsubscribed
    });
  });
}
