import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, type Redis } from 'ioredis';
import {
  CircuitBreakerStore,
  MemoryLockStore,
  RedisLockStore,
  RedlockStore,
  RW_PERMITS,
  supportsPermits,
  type PermitFamily,
  type PermitSpec,
  type ReleaseEvent,
} from '@lynx-nest/redis-lock';
import { permitKeys } from '../libs/redis-lock/src/store/lock-keys.js';
import { PERMIT_SCRIPTS } from '../libs/redis-lock/src/store/lua/permit-scripts.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';
import { startCluster, type RedisClusterTopology } from './support/redis-topologies.js';
import { sleep, until } from './support/until.js';

// The Redis side of read-write locks and semaphores (PermitStore on RedisLockStore): the data it
// leaves in Redis, hand-off grants on the release channel, head-of-line queueing, expiry, Cluster.
// The store-agnostic semantics are checked by the contract suite; this file is the Redis-specific part.

const token = (label: string) => `${label}:${randomBytes(16).toString('hex')}`;
const run = randomBytes(3).toString('hex');
const PREFIX = `pr:${run}:`;
let counter = 0;
const key = (label: string) => `${label}:${++counter}`;

const READER: PermitSpec = { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' };
const WRITER: PermitSpec = { family: 'rw', count: RW_PERMITS, limit: RW_PERMITS, fence: 'mint' };
const sem = (count: number, limit = 4): PermitSpec => ({ family: 'sem', count, limit, fence: 'mint' });

/** The grants seen on a name's channel, as the owners they name (in order). */
function grantsFor(events: ReleaseEvent[], owners: string[]): string[] {
  return events.flatMap((e) => (e.kind === 'handedOff' ? owners.filter((o) => e.isFor(o)) : []));
}

describe('PermitStore on a single Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let store: RedisLockStore;
  let other: RedisLockStore; // a second process's store: sees grants only over pub/sub

  /** One attempt that queues (30 s holding, 5 s queue entry). */
  const attempt = (name: string, owner: string, spec: PermitSpec, queue = true, reentrant = false, ttl = 30_000) =>
    store.acquirePermits(name, owner, spec, ttl, 5000, queue, reentrant);

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = redis.client();
    store = new RedisLockStore({ client: redis.client(), keyPrefix: PREFIX });
    other = new RedisLockStore({ client: redis.client(), keyPrefix: PREFIX });
    await store.init();
    await other.init();
  });
  afterAll(async () => {
    await store?.close();
    await other?.close();
    closeClients();
    await redis?.stop();
  });

  it('is a PermitStore; so is a circuit breaker around it, not one around Redlock', () => {
    expect(supportsPermits(store)).toBe(true);
    const breaker = new CircuitBreakerStore(store, { failureThreshold: 5, resetTimeoutMs: 1000 });
    expect(supportsPermits(breaker)).toBe(true);
    const redlock = new RedlockStore({ nodes: [new MemoryLockStore(), new MemoryLockStore(), new MemoryLockStore()] });
    expect(supportsPermits(redlock)).toBe(false);
    expect(supportsPermits(new CircuitBreakerStore(redlock, { failureThreshold: 5, resetTimeoutMs: 1000 }))).toBe(
      false,
    );
  });

  it('the circuit breaker passes permit calls through to Redis', async () => {
    const breaker = new CircuitBreakerStore(store, { failureThreshold: 5, resetTimeoutMs: 1000 });
    const name = key('breaker');
    const owner = token('b');
    const r = await breaker.acquirePermits(name, owner, sem(2), 30_000, 5000, true, false);
    expect(r).toMatchObject({ acquired: true, holdCount: 1, handedOff: false });
    expect(await breaker.renewPermits(name, 'sem', owner, 30_000)).toBe(true);
    expect(await breaker.inspectPermits(name, 'sem')).toMatchObject({ limit: 4, used: 2, waiters: 0 });
    expect(await breaker.listPermits(name, 10)).toEqual([{ name, family: 'sem' }]);
    expect(await breaker.releasePermits(name, 'sem', owner)).toBe(0);
    expect(await breaker.forceReleasePermits(name, 'sem')).toBe(false);
  });

  it('loads the permit scripts at init, and runs them again after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
    expect(await admin.script('EXISTS', ...PERMIT_SCRIPTS.map((s) => s.sha))).toEqual(PERMIT_SCRIPTS.map(() => 1));
    await admin.script('FLUSH');
    const name = key('noscript');
    const owner = token('n');
    expect(await attempt(name, owner, READER)).toMatchObject({ acquired: true });
    expect(await store.releasePermits(name, 'rw', owner)).toBe(0);
    expect(await store.scriptsLoaded()).toBe(false);
    expect(await store.diagnose('full')).toMatchObject({ scriptsLoaded: true, scriptsReloaded: true });
    expect(await admin.script('EXISTS', ...PERMIT_SCRIPTS.map((s) => s.sha))).toEqual(PERMIT_SCRIPTS.map(() => 1));
  });

  it('writes holders, info, queue and waiters under the name tag; readers share the fence, a writer mints above it', async () => {
    const name = key('data');
    const k = permitKeys(PREFIX, name, 'rw');
    const [r1, r2, w] = [token('r1'), token('r2'), token('w')];
    const a = await attempt(name, r1, READER);
    const b = await attempt(name, r2, READER);
    if (!a.acquired || !b.acquired) throw new Error('readers not granted');
    expect(b.fence).toBe(a.fence); // 'share': the name's current token
    expect(await attempt(name, w, WRITER)).toMatchObject({ acquired: false, heldBySelf: false, holderWaitsFor: null });
    expect(await admin.type(k.holders)).toBe('zset');
    expect(await admin.zrange(k.holders, 0, -1)).toEqual(expect.arrayContaining([r1, r2]));
    expect(await admin.hget(k.info, r1)).toBe(`1 1 ${a.fence}`);
    expect(await admin.hget(k.info, '#u')).toBe('2');
    expect(await admin.hget(k.info, '#l')).toBe(String(RW_PERMITS));
    expect(await admin.zrange(k.queue, 0, -1)).toEqual([w]);
    expect(await admin.hget(k.waiters, w)).toMatch(new RegExp(`^\\d+:30000:${RW_PERMITS}:m$`));
    for (const stateKey of [k.holders, k.info, k.queue, k.waiters]) {
      expect(await admin.pttl(stateKey)).toBeGreaterThan(0); // every state key expires by itself
    }
    expect(await store.releasePermits(name, 'rw', r1)).toBe(0);
    expect(await store.releasePermits(name, 'rw', r2)).toBe(0);
    const writer = await attempt(name, w, WRITER);
    expect(writer).toMatchObject({ acquired: true, handedOff: true }); // the last reader's release granted it
    if (writer.acquired) expect(writer.fence).toBeGreaterThan(a.fence!);
    expect(await store.releasePermits(name, 'rw', w)).toBe(0);
    // Nobody holds or waits: only the fence counter is left.
    expect(await admin.exists(k.holders, k.info, k.queue, k.waiters)).toBe(0);
    expect(await admin.exists(k.fence)).toBe(1);
  });

  it('state of a dead holder and a dead waiter vanishes with their TTLs', async () => {
    const name = key('expiry');
    const k = permitKeys(PREFIX, name, 'sem');
    const [h, w] = [token('h'), token('w')];
    expect(await store.acquirePermits(name, h, sem(4), 300, 300, true, false)).toMatchObject({ acquired: true });
    expect(await store.acquirePermits(name, w, sem(1), 300, 300, true, false)).toMatchObject({ acquired: false });
    expect(await admin.exists(k.holders, k.info, k.queue, k.waiters)).toBe(4);
    await until(async () => (await admin.exists(k.holders, k.info, k.queue, k.waiters)) === 0, 5000);
    expect(await store.inspectPermits(name, 'sem')).toEqual({
      name,
      family: 'sem',
      limit: 0,
      used: 0,
      holders: [],
      waiters: 0,
    });
  });

  it('a grant is published in the mutex hand-off format, and delivered at once in the releasing process', async () => {
    const name = key('grant');
    const [w, r, bystander] = [token('w'), token('r'), token('x')];
    expect(await attempt(name, w, WRITER)).toMatchObject({ acquired: true });
    expect(await attempt(name, r, READER)).toMatchObject({ acquired: false });
    const local: ReleaseEvent[] = [];
    const remote: ReleaseEvent[] = [];
    const offLocal = await store.onPermitRelease(name, 'rw', (e) => local.push(e));
    const offRemote = await other.onPermitRelease(name, 'rw', (e) => remote.push(e));
    expect(await store.releasePermits(name, 'rw', w)).toBe(0);
    // from the release reply itself (the release resolves after the new holder's turn, so the published
    // copy may already have followed it)
    const seen = [...local];
    const info = await store.inspectPermits(name, 'rw');
    expect(info.holders.map((x) => x.owner)).toEqual([r]);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0]).toMatchObject({ kind: 'handedOff', fence: info.holders[0].fence });
    expect(seen[0].kind === 'handedOff' && seen[0].isFor(r) && !seen[0].isFor(bystander)).toBe(true);
    await until(() => remote.length > 0); // the published copy, over pub/sub
    expect(remote[0]).toMatchObject({ kind: 'handedOff', fence: info.holders[0].fence });
    expect(grantsFor(remote, [r])).toEqual([r]);
    // The watch variant attaches to the subscribed channel without a command.
    const watched: ReleaseEvent[] = [];
    const offWatch = store.watchPermitRelease(name, 'rw', (e) => watched.push(e));
    expect(offWatch).toBeTypeOf('function');
    expect(store.watchPermitRelease(key('unsubscribed'), 'rw', () => undefined)).toBeUndefined();
    expect(await store.releasePermits(name, 'rw', r)).toBe(0);
    offWatch?.();
    offLocal();
    offRemote();
  });

  it("a writer's release admits the 3 queued readers in one step; a later writer stays queued behind them", async () => {
    const name = key('readers');
    const [w1, r1, r2, r3, w2] = ['w1', 'r1', 'r2', 'r3', 'w2'].map(token);
    expect(await attempt(name, w1, WRITER)).toMatchObject({ acquired: true });
    for (const r of [r1, r2, r3]) expect(await attempt(name, r, READER)).toMatchObject({ acquired: false });
    expect(await attempt(name, w2, WRITER)).toMatchObject({ acquired: false });
    const events: ReleaseEvent[] = [];
    const off = await other.onPermitRelease(name, 'rw', (e) => events.push(e));
    expect(await store.releasePermits(name, 'rw', w1)).toBe(0);
    const info = await store.inspectPermits(name, 'rw');
    expect(info.holders.map((h) => h.owner).sort()).toEqual([r1, r2, r3].sort());
    expect(info).toMatchObject({ used: 3, waiters: 1, limit: RW_PERMITS });
    expect(new Set(info.holders.map((h) => h.fence)).size).toBe(1); // readers share one token
    await until(() => events.length >= 1);
    expect(events).toHaveLength(1); // one message grants the whole run of readers
    expect(grantsFor(events, [r1, r2, r3, w2])).toEqual([r1, r2, r3]);
    for (const r of [r1, r2, r3]) expect(await attempt(name, r, READER)).toMatchObject({ handedOff: true });
    expect(await attempt(name, w2, WRITER)).toMatchObject({ acquired: false });
    expect(await store.releasePermits(name, 'rw', r1)).toBe(0);
    expect(await store.releasePermits(name, 'rw', r2)).toBe(0);
    expect(await attempt(name, w2, WRITER)).toMatchObject({ acquired: false });
    expect(await store.releasePermits(name, 'rw', r3)).toBe(0);
    const writer = await attempt(name, w2, WRITER);
    expect(writer).toMatchObject({ acquired: true, handedOff: true });
    if (writer.acquired) expect(writer.fence).toBeGreaterThan(info.holders[0].fence);
    await until(() => events.length >= 2);
    expect(grantsFor(events, [r1, r2, r3, w2])).toEqual([r1, r2, r3, w2]);
    expect(await store.releasePermits(name, 'rw', w2)).toBe(0);
    off();
  });

  it('releases of one name in the same event loop turn go to Redis as one script call, each with its own answer', async () => {
    const name = key('batched');
    const [a, b, c, w] = ['a', 'b', 'c', 'w'].map(token);
    for (const r of [a, b, c]) expect(await attempt(name, r, READER)).toMatchObject({ acquired: true });
    expect(await attempt(name, c, READER, true, true)).toMatchObject({ acquired: true, holdCount: 2 });
    expect(await attempt(name, w, WRITER)).toMatchObject({ acquired: false });
    const calls = async () => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    const before = await calls();
    const answers = await Promise.all([
      store.releasePermits(name, 'rw', a),
      store.releasePermits(name, 'rw', b),
      store.releasePermits(name, 'rw', c), // one of its two holds
      store.releasePermits(name, 'rw', token('stranger')),
    ]);
    expect(await calls()).toBe(before + 1);
    expect(answers).toEqual([0, 0, 1, -1]);
    expect(await attempt(name, w, WRITER)).toMatchObject({ acquired: false }); // c still reads
    expect(await store.releasePermits(name, 'rw', c)).toBe(0);
    expect(await attempt(name, w, WRITER)).toMatchObject({ acquired: true, handedOff: true });
    expect(await store.releasePermits(name, 'rw', w)).toBe(0);
  });

  it('a run longer than one batch of queue heads (16) is admitted whole, and stops at the writer after it', async () => {
    const name = key('long-run');
    const writer = token('w1');
    const readers = Array.from({ length: 21 }, (_, i) => token(`r${i}`));
    const next = token('w2');
    expect(await attempt(name, writer, WRITER)).toMatchObject({ acquired: true });
    for (const r of readers) expect(await attempt(name, r, READER)).toMatchObject({ acquired: false });
    expect(await attempt(name, next, WRITER)).toMatchObject({ acquired: false });
    expect(await store.releasePermits(name, 'rw', writer)).toBe(0);
    const info = await store.inspectPermits(name, 'rw');
    expect(info.holders.map((h) => h.owner).sort()).toEqual([...readers].sort());
    expect(info).toMatchObject({ used: readers.length, waiters: 1 });
    for (const r of readers) expect(await store.releasePermits(name, 'rw', r)).toBe(0);
    expect(await attempt(name, next, WRITER)).toMatchObject({ acquired: true, handedOff: true });
    expect(await store.releasePermits(name, 'rw', next)).toBe(0);
    expect(
      await admin.exists(
        ...Object.values(permitKeys(PREFIX, name, 'rw')).filter((k) => !k.endsWith('fence') && !k.endsWith('released')),
      ),
    ).toBe(0);
  });

  it('semaphore of 4: 2+2 granted, a 3 queues, a later 1 queues behind it (head of line), the 3 is granted first', async () => {
    const name = key('sem');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(token);
    expect(await attempt(name, a, sem(2))).toMatchObject({ acquired: true });
    expect(await attempt(name, b, sem(2))).toMatchObject({ acquired: true });
    const busy = await attempt(name, c, sem(3));
    expect(busy).toMatchObject({ acquired: false });
    if (!busy.acquired) expect(busy.holderTtlMs).toBeGreaterThan(0);
    expect(await attempt(name, d, sem(1))).toMatchObject({ acquired: false });
    const events: ReleaseEvent[] = [];
    const off = await other.onPermitRelease(name, 'sem', (e) => events.push(e));
    expect(await store.releasePermits(name, 'sem', a)).toBe(0);
    // 2 permits free: the 1 would fit, but the 3 is ahead of it.
    expect(await attempt(name, d, sem(1))).toMatchObject({ acquired: false });
    expect(await store.inspectPermits(name, 'sem')).toMatchObject({ used: 2, waiters: 2, limit: 4 });
    // Nor does a newcomer's try (no queueing) jump the queue.
    expect(await attempt(name, token('e'), sem(1), false)).toMatchObject({ acquired: false });
    expect(await store.releasePermits(name, 'sem', b)).toBe(0);
    await until(() => events.length >= 2);
    expect(grantsFor(events, [c, d])).toEqual([c, d]); // the 3 first, then the 1 (3 + 1 fit in 4)
    const info = await store.inspectPermits(name, 'sem');
    expect(info).toMatchObject({ used: 4, waiters: 0 });
    expect(info.holders.find((h) => h.owner === c)).toMatchObject({ count: 3, holds: 1 });
    expect(await attempt(name, c, sem(3))).toMatchObject({ acquired: true, handedOff: true });
    for (const o of [c, d]) expect(await store.releasePermits(name, 'sem', o)).toBe(0);
    off();
  });

  it('inspectPermits: holders with count, holds, fence and TTL; used, limit and live waiters', async () => {
    const name = key('inspect');
    const [a, b, w] = [token('a'), token('b'), token('w')];
    const ra = await store.acquirePermits(name, a, sem(1, 3), 10_000, 5000, true, false);
    expect(await store.acquirePermits(name, a, sem(1, 3), 20_000, 5000, true, true)).toMatchObject({
      acquired: true,
      holdCount: 2,
      handedOff: false,
    }); // reentrant: one more hold, no permits, TTL extended
    await store.acquirePermits(name, b, sem(2, 3), 10_000, 5000, true, false);
    await store.acquirePermits(name, w, sem(1, 3), 10_000, 5000, true, false);
    const info = await store.inspectPermits(name, 'sem');
    expect(info).toMatchObject({ name, family: 'sem', limit: 3, used: 3, waiters: 1 });
    const holderA = info.holders.find((h) => h.owner === a)!;
    expect(holderA).toMatchObject({ count: 1, holds: 2, fence: ra.acquired ? ra.fence : -1 });
    expect(holderA.ttlMs).toBeGreaterThan(10_000);
    expect(holderA.ttlMs).toBeLessThanOrEqual(20_000);
    expect(info.holders.find((h) => h.owner === b)).toMatchObject({ count: 2, holds: 1 });
    expect(await store.releasePermits(name, 'sem', a)).toBe(1); // holds left
    expect(await store.releasePermits(name, 'sem', token('stranger'))).toBe(-1);
    expect(await store.forceReleasePermits(name, 'sem')).toBe(true);
  });

  it('listPermits finds read-write locks and semaphores (both families, on one node here), not mutexes', async () => {
    const base = `list${run}:`;
    const owner = token('l');
    await attempt(`${base}a`, owner, READER);
    await attempt(`${base}a`, owner, sem(1));
    await attempt(`${base}b`, owner, sem(1));
    await store.acquire(`${base}mutex`, owner, 30_000, false, true);
    // A name whose only state is its queue (a request larger than the limit waits for a raise).
    await store.acquirePermits(`${base}c`, owner, sem(2, 1), 30_000, 5000, true, false);
    expect(await store.listPermits(base, 100)).toEqual([
      { name: `${base}a`, family: 'rw' },
      { name: `${base}a`, family: 'sem' },
      { name: `${base}b`, family: 'sem' },
      { name: `${base}c`, family: 'sem' },
    ]);
    expect(await store.listPermits(base, 2)).toHaveLength(2);
    expect(await store.listPermits(`${base}b`, 100)).toEqual([{ name: `${base}b`, family: 'sem' }]);
    expect(await store.list(base, 100)).toEqual([`${base}mutex`]);
    // Raising the limit admits the waiter at the next attempt.
    expect(await store.acquirePermits(`${base}c`, owner, sem(2, 2), 30_000, 5000, true, false)).toMatchObject({
      acquired: true,
    });
  });

  it('forceReleasePermits deletes holders and waiters, tells listeners, keeps the fence rising', async () => {
    const name = key('force');
    const [h, w] = [token('h'), token('w')];
    const first = await attempt(name, h, WRITER);
    expect(await attempt(name, w, READER)).toMatchObject({ acquired: false });
    const events: ReleaseEvent[] = [];
    const off = await other.onPermitRelease(name, 'rw', (e) => events.push(e));
    expect(await store.forceReleasePermits(name, 'rw')).toBe(true);
    await until(() => events.length > 0);
    expect(events[0]).toEqual({ kind: 'released' });
    expect(await store.inspectPermits(name, 'rw')).toMatchObject({ holders: [], used: 0, waiters: 0, limit: 0 });
    expect(await store.releasePermits(name, 'rw', h)).toBe(-1);
    expect(await store.renewPermits(name, 'rw', h, 30_000)).toBe(false);
    expect(await store.forceReleasePermits(name, 'rw')).toBe(false);
    const next = await attempt(name, w, WRITER);
    if (!first.acquired || !next.acquired) throw new Error('not acquired');
    expect(next.fence).toBeGreaterThan(first.fence!);
    expect(await store.releasePermits(name, 'rw', w)).toBe(0);
    off();
  });

  it('a holder that expires frees its permits: the next attempt (anyone’s) grants the queue head', async () => {
    const name = key('expired-holder');
    const [dead, head, late] = [token('dead'), token('head'), token('late')];
    expect(await store.acquirePermits(name, dead, sem(1, 1), 300, 5000, true, false)).toMatchObject({
      acquired: true,
    });
    expect(await attempt(name, head, sem(1, 1))).toMatchObject({ acquired: false });
    const events: ReleaseEvent[] = [];
    const off = await other.onPermitRelease(name, 'sem', (e) => events.push(e));
    await sleep(400);
    expect(await attempt(name, late, sem(1, 1), false)).toMatchObject({ acquired: false }); // the head got it
    await until(() => events.length > 0);
    expect(grantsFor(events, [head, late])).toEqual([head]);
    expect((await store.inspectPermits(name, 'sem')).holders.map((h) => h.owner)).toEqual([head]);
    expect(await store.renewPermits(name, 'sem', dead, 30_000)).toBe(false);
    expect(await store.renewPermits(name, 'sem', head, 30_000)).toBe(true);
    expect(await store.releasePermits(name, 'sem', head)).toBe(0);
    off();
  });

  it('leavePermitQueue: a waiter leaves; one granted while giving up passes the grant on', async () => {
    const name = key('leave');
    const [h, a, b] = [token('h'), token('a'), token('b')];
    await attempt(name, h, sem(1, 1));
    await attempt(name, a, sem(1, 1));
    await attempt(name, b, sem(1, 1));
    await store.leavePermitQueue(name, 'sem', a);
    expect((await store.inspectPermits(name, 'sem')).waiters).toBe(1);
    await store.leavePermitQueue(name, 'sem', h); // a holder leaving: as a release, so b is granted
    expect((await store.inspectPermits(name, 'sem')).holders.map((x) => x.owner)).toEqual([b]);
    await store.leavePermitQueue(name, 'sem', b);
    expect(await store.inspectPermits(name, 'sem')).toMatchObject({ holders: [], waiters: 0 });
  });

  it('renewMany renews permit holdings (family set) next to mutexes, in order', async () => {
    const owner = token('rm');
    const [m, p] = [key('rm-mutex'), key('rm-sem')];
    await store.acquire(m, owner, 5000, false);
    await store.acquirePermits(p, owner, sem(1), 5000, 5000, true, false);
    const family: PermitFamily = 'sem';
    expect(
      await store.renewMany([
        { name: p, owner, ttlMs: 30_000, family },
        { name: m, owner, ttlMs: 30_000 },
        { name: p, owner: token('x'), ttlMs: 30_000, family },
      ]),
    ).toEqual([true, true, false]);
    expect((await store.inspectPermits(p, 'sem')).holders[0].ttlMs).toBeGreaterThan(10_000);
  });
});

describe('PermitStore on a Redis Cluster (3 masters)', () => {
  let cluster: RedisClusterTopology;
  let client: Cluster;
  let store: RedisLockStore;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    client = new Cluster(cluster.addrs.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })));
    store = new RedisLockStore({ client, owned: true, keyPrefix: PREFIX });
    await store.init();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('every key of a read-write lock and a semaphore lives on the hash slot of the name', async () => {
    const name = key('slot');
    for (const family of ['rw', 'sem'] as const) {
      const keys = Object.values(permitKeys(PREFIX, name, family));
      const slots = await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k)));
      expect(new Set(slots).size).toBe(1);
      expect(slots[0]).toBe(await client.cluster('KEYSLOT', name));
    }
  });

  it('acquire, queue, hand-off and release on names spread over every master; listPermits scans them all', async () => {
    const base = `cl${run}:`;
    const names = Array.from({ length: 12 }, (_, i) => `${base}${i}`);
    const masters = new Set(
      await Promise.all(names.map(async (n) => (await cluster.masterOf(permitKeys(PREFIX, n, 'sem').holders)).id)),
    );
    expect(masters.size).toBe(3);
    for (const name of names) {
      const [w, r] = [token('w'), token('r')];
      expect(await store.acquirePermits(name, w, WRITER, 30_000, 5000, true, false)).toMatchObject({ acquired: true });
      expect(await store.acquirePermits(name, r, READER, 30_000, 5000, true, false)).toMatchObject({
        acquired: false,
      });
      const events: ReleaseEvent[] = [];
      const off = await store.onPermitRelease(name, 'rw', (e) => events.push(e));
      expect(await store.releasePermits(name, 'rw', w)).toBe(0);
      expect(grantsFor(events, [r])[0]).toBe(r); // delivered from the reply (the pub/sub copy may follow)
      off();
      expect(await store.acquirePermits(name, r, READER, 30_000, 5000, true, false)).toMatchObject({
        acquired: true,
        handedOff: true,
      });
      expect(await store.acquirePermits(name, w, sem(2), 30_000, 5000, true, false)).toMatchObject({
        acquired: true,
      });
    }
    const listed = await store.listPermits(base, 100);
    expect(listed).toHaveLength(names.length * 2);
    expect(new Set(listed.map((e) => e.family))).toEqual(new Set(['rw', 'sem']));
    for (const name of names) {
      const { holders } = await store.inspectPermits(name, 'rw');
      expect(await store.releasePermits(name, 'rw', holders[0].owner)).toBe(0);
      expect(await store.forceReleasePermits(name, 'sem')).toBe(true);
    }
    expect(await store.listPermits(base, 100)).toEqual([]);
  }, 60_000);
});
