import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LockLostError, MemoryLockStore, RedisLockStore, type LockHandle, type LockStore } from '@lynx-nest/redis-lock';
import type { ReleaseEvent } from '../libs/redis-lock/src/store/release-event.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { sleep, until } from './support/until.js';

const token = (label: string) => `${label}:${randomBytes(16).toString('hex')}`;
const run = randomBytes(3).toString('hex');
let counter = 0;
const key = (label: string) => `fair:${run}:${label}:${++counter}`;

/** The fair-queue semantics both stores share (store level). */
function describeFairQueue(label: string, make: () => Promise<{ store: LockStore; cleanup(): Promise<void> }>) {
  describe(`fair queue semantics: ${label}`, () => {
    let store: LockStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await make());
      await store.init();
    });
    afterAll(() => cleanup());

    it('release hands the lock to the queue head and publishes a grant naming it by hash', async () => {
      const name = key('handoff');
      const [holder, a, b] = [token('h'), token('a'), token('b')];
      expect((await store.acquireFair!(name, holder, 5000, 2000, true)).acquired).toBe(true);
      // Queued, each with its place: the waiters ahead of it.
      expect(await store.acquireFair!(name, a, 5000, 2000, true)).toMatchObject({ acquired: false, queuePosition: 0 });
      expect(await store.acquireFair!(name, b, 5000, 2000, true)).toMatchObject({ acquired: false, queuePosition: 1 });
      expect(await store.acquireFair!(name, b, 5000, 2000, true)).toMatchObject({ queuePosition: 1 }); // a refresh keeps it
      const messages: ReleaseEvent[] = [];
      const off = await store.onRelease(name, (m) => messages.push(m));
      expect(await store.release(name, holder)).toBe(0);
      const info = await store.inspect(name);
      expect(info.held).toBe(true);
      expect(info.owner).toBe(a); // never free in between: a release makes the head the owner
      await until(() => messages.length > 0);
      expect(messages[0]).toMatchObject({ kind: 'handedOff', fence: info.fence });
      expect(messages[0].kind === 'handedOff' && messages[0].isFor(a) && !messages[0].isFor(b)).toBe(true);
      // The head's next attempt sees it was handed the lock.
      const again = await store.acquireFair!(name, a, 5000, 2000, true);
      expect(again).toMatchObject({ acquired: true, handedOff: true, fence: info.fence });
      expect(await store.release(name, a)).toBe(0);
      expect((await store.inspect(name)).owner).toBe(b);
      expect(await store.release(name, b)).toBe(0);
      expect((await store.inspect(name)).held).toBe(false);
      off();
    });

    it('a waiter in the releasing process has its grant when release() returns (no wait for the pub/sub copy)', async () => {
      const name = key('local-grant');
      const [holder, a] = [token('h'), token('a')];
      expect((await store.acquireFair!(name, holder, 5000, 2000, true)).acquired).toBe(true);
      expect((await store.acquireFair!(name, a, 5000, 2000, true)).acquired).toBe(false);
      const messages: ReleaseEvent[] = [];
      const off = await store.onRelease(name, (m) => messages.push(m));
      expect(await store.release(name, holder)).toBe(0);
      const seen = [...messages]; // taken before anything else is awaited: delivered from the release reply itself
      const fence = (await store.inspect(name)).fence;
      expect(seen[0]).toMatchObject({ kind: 'handedOff', fence });
      expect(seen[0].kind === 'handedOff' && seen[0].isFor(a)).toBe(true);
      expect(await store.release(name, a)).toBe(0); // nobody else queued: a plain release
      off();
    });

    it('a free lock is not taken ahead of a live waiter, and tryLock (queue=false) does not queue', async () => {
      const name = key('nobarge');
      const [holder, a, late] = [token('h'), token('a'), token('late')];
      await store.acquireFair!(name, holder, 150, 2000, true);
      expect((await store.acquireFair!(name, a, 5000, 2000, true)).acquired).toBe(false);
      await sleep(250); // the holder's TTL ran out (no release, no hand-off)
      // A newcomer finds the lock free but `a` queued first: the lock goes to `a`, the newcomer fails.
      expect((await store.acquireFair!(name, late, 5000, 2000, false)).acquired).toBe(false);
      expect((await store.inspect(name)).owner).toBe(a);
      await store.release(name, a);
      // Nobody queued: the try attempt (which did not queue) now takes it at once.
      expect((await store.acquireFair!(name, late, 5000, 2000, false)).acquired).toBe(true);
      await store.release(name, late);
    });

    it('a waiter that died drops out of the queue when its entry expires; the next one gets the lock', async () => {
      const name = key('dead');
      const [holder, dead, live] = [token('h'), token('dead'), token('live')];
      await store.acquireFair!(name, holder, 5000, 2000, true);
      expect((await store.acquireFair!(name, dead, 5000, 150, true)).acquired).toBe(false); // queues, then never refreshes
      expect((await store.acquireFair!(name, live, 5000, 2000, true)).acquired).toBe(false);
      await sleep(250);
      await store.release(name, holder);
      expect((await store.inspect(name)).owner).toBe(live);
      await store.release(name, live);
      expect((await store.inspect(name)).held).toBe(false);
    });

    it('leaving the queue passes on a lock that was handed over meanwhile', async () => {
      const name = key('leave');
      const [holder, a, b] = [token('h'), token('a'), token('b')];
      await store.acquireFair!(name, holder, 5000, 2000, true);
      await store.acquireFair!(name, a, 5000, 2000, true);
      await store.acquireFair!(name, b, 5000, 2000, true);
      await store.release(name, holder); // handed to a
      await store.leaveFairQueue!(name, a); // a gave up: b gets it
      expect((await store.inspect(name)).owner).toBe(b);
      await store.leaveFairQueue!(name, token('stranger')); // not queued: no effect
      expect((await store.inspect(name)).owner).toBe(b);
      await store.release(name, b);
    });
  });
}

describe('fair locking', () => {
  let redis: RedisServer;
  let app: LockApp;
  let raw: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = redis.client();
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], lock: { fair: true } });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    raw?.disconnect();
    await redis?.stop();
  });

  describeFairQueue('redis', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    return { store: new RedisLockStore({ client, owned: true }), cleanup: async () => undefined };
  });
  describeFairQueue('memory', async () => ({ store: new MemoryLockStore(), cleanup: async () => undefined }));

  it('N waiters get the lock in arrival order, each straight from the previous holder', async () => {
    const name = key('order');
    const holder = await app.locks.acquire(name, '10s');
    const order: number[] = [];
    let inside = 0;
    let overlaps = 0;
    const waiters: Promise<void>[] = [];
    const N = 8;
    for (let i = 0; i < N; i++) {
      waiters.push(
        app.locks.withLock(
          name,
          async () => {
            if (++inside > 1) overlaps++;
            order.push(i);
            await sleep(2);
            inside--;
          },
          { ttl: '10s', maxRetries: -1, maxElapsedTime: '20s' },
        ),
      );
      // Arrival order is the order the queue saw them: wait until waiter i is queued.
      await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === i + 1);
    }
    expect((await app.locks.inspect(name)).waiters).toBe(N);
    await holder.release();
    await Promise.all(waiters);
    expect(order).toEqual([...Array(N).keys()]);
    expect(overlaps).toBe(0);
    expect(await raw.exists(`lynx:lock:{${name}}:q`, `lynx:lock:{${name}}:qw`)).toBe(0); // queue cleaned up
    expect((await app.locks.inspect(name)).held).toBe(false);
  });

  it('a handed-off holder got its lock without an acquire of its own and holds a valid, higher fence', async () => {
    const name = key('direct');
    const holder = await app.locks.acquire(name, '10s');
    const holderFence = await holder.getFence();
    const got = app.locks.acquire(name, '10s', { maxRetries: -1, maxElapsedTime: '20s' });
    await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === 1);
    await sleep(20); // let the waiter subscribe and go to sleep on its (100 ms+) backoff timer
    const before = Number((await raw.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
    await holder.release();
    const next: LockHandle = await got;
    const after = Number((await raw.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
    // Exactly one EVALSHA between: the release. The waiter needed no attempt of its own.
    expect(after - before).toBe(1);
    expect(next.isHeld()).toBe(true);
    // The hand-off minted the new holder's token and the grant carried it: known without a round trip.
    expect(next.fence).toBeGreaterThan(holderFence);
    expect((await app.locks.inspect(name)).heldByThisInstance).toBe(true);
    expect(await next.getExpiration()).toBeGreaterThan(9000);
    await next.release();
  });

  it('a release that hands the lock to a waiter of this process resolves after the new holder has it', async () => {
    const name = key('first');
    const holder = await app.locks.acquire(name, '10s');
    const seen: string[] = [];
    const got = app.locks.acquire(name, '10s', { maxRetries: -1, maxElapsedTime: '20s' }).then((next) => {
      seen.push('acquired');
      return next;
    });
    await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === 1);
    await sleep(20); // the waiter is asleep, listening for its grant
    await holder.release();
    seen.push('released');
    // the new holder resumed first (ReleaseSubscriptions.handOver): the releaser's next work is not on the lock's path
    expect(seen).toEqual(['acquired', 'released']);
    await (await got).release();
  });

  describe('in-process hand-off (docs/fair-locking.md)', () => {
    const queued = (name: string, n: number) => until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === n);
    const WAIT = { maxRetries: -1, maxElapsedTime: '20s' } as const;

    it('a waiter of this process heading the queue holds the lock before Redis has answered the release', async () => {
      const name = key('inproc');
      const holder = await app.locks.acquire(name, '10s');
      const holderFence = await holder.getFence();
      const seen: string[] = [];
      const got = app.locks.acquire(name, '10s', WAIT).then((next) => (seen.push('acquired'), next));
      await queued(name, 1);
      await sleep(20); // asleep, listening
      // Redis answers nobody for 400 ms: a grant that needed its answer would come after the marker.
      await raw.call('CLIENT', 'PAUSE', '400', 'ALL');
      const releasing = holder.release().then((held) => (seen.push('released'), held));
      setTimeout(() => seen.push('marker (150 ms)'), 150);
      const next = await got;
      expect(next.isHeld()).toBe(true);
      expect(next.fence).toBeUndefined(); // the hand-over mints it in Redis; not known yet
      expect(await releasing).toBe(true);
      expect(seen).toEqual(['acquired', 'marker (150 ms)', 'released']);
      // Redis's answer confirmed it: the token the hand-over minted, above the releaser's; full validity.
      expect(await next.getFence()).toBeGreaterThan(holderFence);
      const info = await app.locks.inspect(name);
      expect(info.heldByThisInstance).toBe(true);
      expect(info.fence).toBe(next.fence);
      expect(await next.getExpiration()).toBeGreaterThan(9000);
      expect(await next.release()).toBe(true);
      expect((await app.locks.inspect(name)).held).toBe(false);
    });

    it('a waiter of another process queued first keeps its turn (the local waiter behind it is not handed the lock)', async () => {
      const name = key('inproc-fifo');
      const other = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], lock: { fair: true } });
      try {
        const holder = await app.locks.acquire(name, '10s');
        const order: string[] = [];
        const take = (locks: LockApp['locks'], who: string) =>
          locks.withLock(
            name,
            async () => {
              order.push(who);
              await sleep(5);
            },
            WAIT,
          );
        const remote = take(other.locks, 'other process');
        await queued(name, 1);
        const local = take(app.locks, 'this process');
        await queued(name, 2);
        await sleep(20);
        await holder.release();
        await Promise.all([remote, local]);
        expect(order).toEqual(['other process', 'this process']);
      } finally {
        await other.close();
      }
    });

    it('when the releaser no longer held the lock, the waiter it let go on is told at once that it lost it', async () => {
      const name = key('inproc-lost');
      const holder = await app.locks.acquire(name, '10s');
      const got = app.locks.acquire(name, '10s', WAIT);
      await queued(name, 1);
      await sleep(20);
      await raw.del(`lynx:lock:{${name}}`); // gone behind everyone's back (no release message)
      expect(await holder.release()).toBe(false); // Redis said: not held
      const next = await got;
      await until(() => next.signal.aborted);
      expect(next.isHeld()).toBe(false);
      expect(next.signal.reason).toBeInstanceOf(LockLostError);
      await expect(next.getFence()).rejects.toBeInstanceOf(LockLostError); // a stale holder never gets a token
      await next.release();
    });

    it("until Redis answers, the new holding is valid no longer than the releaser's was", async () => {
      const name = key('inproc-cap');
      const holder = await app.locks.acquire(name, '400ms', { renewalEnabled: false });
      const seen: string[] = [];
      const got = app.locks.acquire(name, '10s', WAIT);
      await queued(name, 1);
      await sleep(20);
      // Redis answers nobody for 1.5 s, far past the releaser's 400 ms TTL; the waiter's own TTL is 10 s.
      await raw.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const releasing = holder.release();
      setTimeout(() => seen.push('marker (900 ms)'), 900);
      const next = await got;
      next.signal.addEventListener('abort', () => seen.push('lost'));
      await until(() => seen.includes('marker (900 ms)'), 5000);
      // Lost at the releaser's validity end (under 400 ms), long before Redis could confirm anything.
      expect(seen).toEqual(['lost', 'marker (900 ms)']);
      expect(next.signal.reason).toBeInstanceOf(LockLostError);
      await releasing;
      await next.release();
    });

    it('a waiter that wants its token in the grant (fence: true) waits for Redis as before', async () => {
      const name = key('inproc-fence');
      const holder = await app.locks.acquire(name, '10s');
      const got = app.locks.acquire(name, '10s', { ...WAIT, fence: true });
      await queued(name, 1);
      await sleep(20);
      await holder.release();
      const next = await got;
      expect(next.fence).toBeGreaterThan(0); // carried by Redis's answer
      expect((await app.locks.inspect(name)).fence).toBe(next.fence);
      await next.release();
    });
  });

  it('a waiter that gives up leaves the queue; a killed waiter process drops out after its entry expires', async () => {
    const name = key('giveup');
    const holder = await app.locks.acquire(name, '10s');
    const controller = new AbortController();
    const quitter = app.locks.acquire(name, '10s', {
      maxRetries: -1,
      maxElapsedTime: '20s',
      signal: controller.signal,
    });
    await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === 1);
    controller.abort();
    await expect(quitter).rejects.toBeDefined();
    await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === 0);

    // A "process" that queued and then vanished (its connection dropped, no leave, no refresh).
    const deadClient = new Redis({ port: redis.port, host: '127.0.0.1' });
    const deadStore = new RedisLockStore({ client: deadClient, owned: true });
    await deadStore.init();
    expect((await deadStore.acquireFair(name, token('gone'), 10_000, 200, true)).acquired).toBe(false);
    deadClient.disconnect();
    const survivor = app.locks.acquire(name, '10s', { maxRetries: -1, maxElapsedTime: '20s' });
    await until(async () => (await raw.zcard(`lynx:lock:{${name}}:q`)) === 2);
    await sleep(300); // past the dead waiter's entry
    await holder.release();
    const next = await survivor;
    expect(next.isHeld()).toBe(true);
    expect((await app.locks.inspect(name)).heldByThisInstance).toBe(true);
    await next.release();
    expect(await raw.exists(`lynx:lock:{${name}}:q`)).toBe(0);
  });

  it('fair: false keeps the pub/sub race and ignores grants meant for others', async () => {
    const name = key('unfair');
    const holder = await app.locks.acquire(name, '10s');
    const got = app.locks.acquire(name, '10s', { fair: false, maxRetries: -1, maxElapsedTime: '20s' });
    await sleep(30);
    expect(await raw.zcard(`lynx:lock:{${name}}:q`)).toBe(0); // unfair waiters do not queue
    await holder.release();
    const next = await got;
    expect(next.isHeld()).toBe(true);
    await next.release();
  });

  it('rejects a non-boolean fair option', async () => {
    await expect(app.locks.tryLock(key('bad'), '1s', { fair: 'yes' as never })).rejects.toMatchObject({
      code: expect.any(String),
    });
  });
});
