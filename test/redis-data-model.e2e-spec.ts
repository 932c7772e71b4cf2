import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisLockStore } from '@lynx-nest/redis-lock';
import { lockValue, ownerOf } from './support/lock-value.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// What the Redis store writes (docs/guide.md#data-model) and how little it asks of Redis when nobody
// waits: the stored value, the fence counter's life cycle, and the commands an uncontended cycle runs.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'dm:';
const lockKey = (name: string) => `${PREFIX}{${name}}`;

/** Server-side calls per command since the last `CONFIG RESETSTAT` (commands run by scripts included). */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm))
    calls[match[1]] = Number(match[2]);
  return calls;
}

describe('Redis data model', () => {
  let redis: RedisServer;
  let admin: Redis;
  let store: RedisLockStore;

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = redis.client();
    store = new RedisLockStore({ client: redis.client(), keyPrefix: PREFIX });
    await store.init();
  });
  afterAll(async () => {
    await store?.close();
    closeClients();
    await redis?.stop();
  });

  it('stores a lock as "<fence> <holds> <waited> <owner>" with its TTL; holds count in place, TTL kept', async () => {
    const r = await store.acquire('value', 'me:1', 5000, true, true);
    if (!r.acquired) throw new Error('not acquired');
    expect(await admin.get(lockKey('value'))).toBe(lockValue('me:1', r.fence, 1, 0));
    expect(await admin.type(lockKey('value'))).toBe('string');
    await admin.pexpire(lockKey('value'), 60_000);
    expect((await store.acquire('value', 'me:1', 5000, true)).acquired).toBe(true); // reentrant: never shortens the TTL
    expect(await admin.get(lockKey('value'))).toBe(lockValue('me:1', r.fence, 2, 0));
    expect(await admin.pttl(lockKey('value'))).toBeGreaterThan(50_000);
    expect(await store.release('value', 'me:1')).toBe(1);
    expect(await admin.get(lockKey('value'))).toBe(lockValue('me:1', r.fence, 1, 0));
    expect(await admin.pttl(lockKey('value'))).toBeGreaterThan(50_000);
    expect(await store.release('value', 'me:1')).toBe(0);
    expect(await admin.exists(lockKey('value'))).toBe(0);
  });

  it('the uncontended acquire is one native SET of fence 0 ("not minted"); getFence mints it in place, TTL kept', async () => {
    await admin.config('RESETSTAT');
    expect(await store.claim('lazy', 'me:1', 5000)).toBe(true);
    const calls = await commandCalls(admin);
    delete calls['config|resetstat'];
    expect(calls).toEqual({ set: 1 }); // no script at all
    expect(await admin.get(lockKey('lazy'))).toBe(lockValue('me:1', 0, 1, 0));
    await admin.pexpire(lockKey('lazy'), 60_000);
    const fence = await store.mintFence('lazy', 'me:1', 5000);
    expect(fence).toBeGreaterThan(0);
    expect(await admin.get(lockKey('lazy'))).toBe(lockValue('me:1', fence, 1, 0));
    expect(await admin.pttl(lockKey('lazy'))).toBeGreaterThan(50_000);
    expect(await store.release('lazy', 'me:1')).toBe(0);
  });

  it('an owner token with spaces and colons is stored and matched whole', async () => {
    const owner = 'my host:with spaces:abc';
    expect((await store.acquire('spaces', owner, 5000, false)).acquired).toBe(true);
    expect(ownerOf(await admin.get(lockKey('spaces')))).toBe(owner);
    expect(await store.renew('spaces', 'with spaces:abc', 5000)).toBe(false); // a suffix of the owner is not the owner
    expect(await store.release('spaces', 'spaces:abc')).toBe(-1);
    expect(await store.release('spaces', owner)).toBe(0);
  });

  it('a fair hand-off publishes g:<fence>:<sha1(owner)> on the release channel, never the owner token', async () => {
    const subscriber = redis.client();
    const wire: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => wire.push(message));
    await subscriber.subscribe(`${lockKey('grant')}:released`);
    expect(await store.claim('grant', 'holder:1', 5000)).toBe(true);
    expect((await store.acquireFair('grant', 'heir:secret', 5000, 2000, true)).acquired).toBe(false);
    expect(await store.release('grant', 'holder:1')).toBe(0);
    for (let i = 0; i < 50 && wire.length === 0; i++) await sleep(10);
    const fence = (await store.inspect('grant')).fence;
    expect(wire).toEqual([`g:${fence}:${createHash('sha1').update('heir:secret').digest('hex')}`]);
    expect(wire.join()).not.toContain('heir:secret');
    expect(await store.release('grant', 'heir:secret')).toBe(0);
  });

  it("a hand-off to the releasing store's own waiter (its owner tag) is not published: the release reply carries it", async () => {
    const subscriber = redis.client();
    const wire: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => wire.push(message));
    await subscriber.subscribe(`${lockKey('local')}:released`);
    const other = new RedisLockStore({ client: redis.client(), keyPrefix: PREFIX });
    await other.init();
    expect(store.ownerTag).toMatch(/^[0-9a-f]{12}$/);
    expect(other.ownerTag).not.toBe(store.ownerTag);
    const heard: string[] = [];
    const unsubscribe = await store.onRelease('local', (event) => {
      if (event.kind === 'handedOff') heard.push(event.isFor(`mine:1${store.ownerTag}`) ? 'mine' : 'not mine');
    });
    // queue: this store's waiter first, then another store's
    expect(await store.claim('local', `holder:1${store.ownerTag}`, 5000)).toBe(true);
    expect((await store.acquireFair('local', `mine:1${store.ownerTag}`, 5000, 2000, true)).acquired).toBe(false);
    expect((await other.acquireFair('local', `theirs:1${other.ownerTag}`, 5000, 2000, true)).acquired).toBe(false);
    expect(await store.release('local', `holder:1${store.ownerTag}`)).toBe(0);
    expect(heard).toEqual(['mine']); // delivered from the reply, synchronously
    expect(ownerOf(await admin.get(lockKey('local')))).toBe(`mine:1${store.ownerTag}`);
    // this store's holder releases to the other store's waiter: published
    expect(await store.release('local', `mine:1${store.ownerTag}`)).toBe(0);
    for (let i = 0; i < 50 && wire.length === 0; i++) await sleep(10);
    const fence = (await store.inspect('local')).fence;
    expect(wire).toEqual([`g:${fence}:${createHash('sha1').update(`theirs:1${other.ownerTag}`).digest('hex')}`]);
    expect(await other.release('local', `theirs:1${other.ownerTag}`)).toBe(0);
    unsubscribe();
    await other.close();
  });

  it('a busy attempt marks the lock waited-for, and only then does the release publish', async () => {
    const heard: string[] = [];
    const unsubscribe = await store.onRelease('marked', (event) => heard.push(event.kind));
    expect((await store.acquire('marked', 'a:1', 5000, false)).acquired).toBe(true);
    expect(await store.release('marked', 'a:1')).toBe(0);
    await sleep(100);
    expect(heard).toEqual([]); // nobody waited: no message

    const r = await store.acquire('marked', 'a:1', 5000, false);
    if (!r.acquired) throw new Error('not acquired');
    expect((await store.acquire('marked', 'b:1', 5000, false)).acquired).toBe(false);
    expect(await admin.get(lockKey('marked'))).toBe(lockValue('a:1', 0, 1, 1));
    expect(await store.release('marked', 'a:1')).toBe(0);
    for (let i = 0; i < 50 && heard.length === 0; i++) await sleep(10);
    expect(heard).toEqual(['released']);
    unsubscribe();
  });

  it('an uncontended acquire + release is a native SET and one EVALSHA with two commands inside, no PUBLISH', async () => {
    await admin.config('RESETSTAT');
    for (let i = 0; i < 10; i++) {
      expect(await store.claim('count', `c:${i}`, 5000)).toBe(true);
      expect(await store.release('count', `c:${i}`)).toBe(0);
    }
    const calls = await commandCalls(admin);
    delete calls.info;
    delete calls['config|resetstat'];
    // acquire: SET lock NX PX; release (RELEASE_BARE, the raw baseline's compare-and-delete): GET lock, DEL lock
    expect(calls).toEqual({ evalsha: 10, set: 10, get: 10, del: 10 });
  });

  it('the release of a bare holding is one compare-and-delete with one key; a changed holding gets the full release', async () => {
    const client = redis.client();
    const bareStore = new RedisLockStore({ client, keyPrefix: PREFIX });
    await bareStore.init();
    const sent: { keys: number; args: unknown[] }[] = [];
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { evalsha: unknown }).evalsha = (sha: string, keys: number, ...args: unknown[]) => {
      sent.push({ keys, args });
      return evalsha(sha, keys, ...args);
    };
    const scripts = () => sent.splice(0).map((c) => c.keys);
    try {
      // untouched since the SET: one key and the value it wrote, nothing else
      expect(await bareStore.claim('bare', 'b:1', 5000)).toBe(true);
      expect(await bareStore.release('bare', 'b:1')).toBe(0);
      expect(sent).toEqual([{ keys: 1, args: [lockKey('bare'), lockValue('b:1', 0, 1, 0)] }]);
      sent.length = 0;
      expect(await admin.exists(lockKey('bare'))).toBe(0);

      // a waiter marked it: the bare release declines (0), the full one hands it over
      expect(await bareStore.claim('bare', 'b:2', 5000)).toBe(true);
      expect((await bareStore.acquireFair('bare', 'heir:2', 5000, 2000, true)).acquired).toBe(false);
      scripts();
      expect(await bareStore.release('bare', 'b:2')).toBe(0);
      expect(scripts()).toEqual([1, 4]);
      expect(ownerOf(await admin.get(lockKey('bare')))).toBe('heir:2');
      expect(await bareStore.release('bare', 'heir:2')).toBe(0);
      expect(scripts()).toEqual([4]); // handed over with a minted token: never a bare holding

      // a minted token or a reentrant hold: straight to the full release
      expect(await bareStore.claim('bare', 'b:3', 5000)).toBe(true);
      expect(await bareStore.mintFence('bare', 'b:3', 5000)).toBeGreaterThan(0);
      scripts();
      expect(await bareStore.release('bare', 'b:3')).toBe(0);
      expect(scripts()).toEqual([4]);
      expect(await bareStore.claim('bare', 'b:4', 5000)).toBe(true);
      expect((await bareStore.acquire('bare', 'b:4', 5000, true)).acquired).toBe(true);
      scripts();
      expect(await bareStore.release('bare', 'b:4')).toBe(1);
      expect(await bareStore.release('bare', 'b:4')).toBe(0);
      expect(scripts()).toEqual([4, 4]);

      // gone (expired): the bare release declines, the full one reports it not held
      expect(await bareStore.claim('bare', 'b:5', 5000)).toBe(true);
      await admin.del(lockKey('bare'));
      expect(await bareStore.release('bare', 'b:5')).toBe(-1);
      expect(scripts()).toEqual([1, 4]);
    } finally {
      await bareStore.close();
    }
  });

  it('with `fence: true` the fair acquire script mints in the same step: EXISTS queue, INCR fence, SET NX GET', async () => {
    await store.acquire('count2', 'warm:1', 5000, false, true); // first use seeds the fence counter
    await store.release('count2', 'warm:1');
    await admin.config('RESETSTAT');
    for (let i = 0; i < 10; i++) {
      expect((await store.acquireFair('count2', `c:${i}`, 5000, 2000, true, true)).acquired).toBe(true);
      expect(await store.release('count2', `c:${i}`)).toBe(0);
    }
    const calls = await commandCalls(admin);
    delete calls.info;
    delete calls['config|resetstat'];
    expect(calls).toEqual({ evalsha: 20, exists: 10, incr: 10, set: 10, get: 10, del: 10 });
  });

  it('fences keep rising when the counter is lost (restart, failover) or expires while in use', async () => {
    const short = new RedisLockStore({ client: redis.client(), keyPrefix: PREFIX, fenceRetentionMs: 150 });
    await short.init();
    const fences: number[] = [];
    const take = async (s: RedisLockStore, owner: string) => {
      const r = await s.acquire('fence', owner, 100, false, true);
      if (!r.acquired) throw new Error('not acquired');
      fences.push(r.fence!);
      await s.release('fence', owner);
    };
    for (let i = 0; i < 5; i++) await take(short, `s:${i}`);
    expect(await admin.pttl(`${lockKey('fence')}:fence`)).toBeLessThanOrEqual(150); // INCR keeps the seed's expiry
    await sleep(200); // the counter expired: the next acquisition reseeds it from the server clock
    expect(await admin.exists(`${lockKey('fence')}:fence`)).toBe(0);
    for (let i = 0; i < 3; i++) await take(short, `t:${i}`);
    await admin.del(`${lockKey('fence')}:fence`); // lost, as after a restart without persistence
    await take(store, 'u:1');
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]);
    // seeded from the clock in µs: within a minute of now
    expect(Math.abs(fences.at(-1)! / 1000 - Date.now())).toBeLessThan(60_000);
    await short.close();
  });

  it('renews hundreds of locks in chunked script calls, one answer per lock in order, owner-checked', async () => {
    const names = Array.from({ length: 450 }, (_, i) => `many:${i}`); // three chunks of at most 200
    for (const [i, name] of names.entries())
      expect((await store.acquire(name, i % 7 === 0 ? 'other:1' : 'me:1', 1000, false)).acquired).toBe(true);
    await admin.del(lockKey('many:1')); // gone: refused
    await admin.config('RESETSTAT');
    const answers = await store.renewMany(names.map((name) => ({ name, owner: 'me:1', ttlMs: 60_000 })));
    expect(answers).toEqual(names.map((_, i) => i % 7 !== 0 && i !== 1));
    const calls = await commandCalls(admin);
    expect(calls.evalsha).toBe(3);
    expect(await admin.pttl(lockKey('many:449'))).toBeGreaterThan(50_000);
    expect(await admin.pttl(lockKey('many:7'))).toBeLessThanOrEqual(1000); // another owner's: untouched
  });

  it('a stale wait record of a former holder is never reported for the next one', async () => {
    expect((await store.acquire('wr', 'old:1', 5000, false)).acquired).toBe(true);
    await store.setWaitsFor([{ name: 'wr', owner: 'old:1' }], 'elsewhere', 5000);
    expect(await store.waitsFor('wr')).toBe('elsewhere');
    await store.release('wr', 'old:1');
    expect((await store.acquire('wr', 'new:1', 5000, false)).acquired).toBe(true);
    expect(await admin.exists(`${lockKey('wr')}:w`)).toBe(1); // still there, until its own expiry
    expect(await store.waitsFor('wr')).toBeUndefined();
    const busy = await store.acquire('wr', 'third:1', 5000, false);
    expect(busy).toMatchObject({ acquired: false, holderWaitsFor: null });
    await store.release('wr', 'new:1');
  });
});
