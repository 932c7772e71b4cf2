import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidLockOptionsError,
  RW_PERMITS,
  type LockInfo,
  type LockStore,
  type StoredPermitHolder,
} from '@lynx-nest/redis-lock';
import { HEALTH_PROBE_KEY } from '../libs/redis-lock/src/lock/lock-health.check.js';
import { withFakePermits, withoutPermits } from './support/fake-permit-store.js';
import { createLockApp, type LockApp } from './support/lock-app.js';

// inspect(key, kind) and list() over read-write locks and semaphores, on a store whose permit state
// the test sets (no queue behind it): what is shown, what is hidden (owner tokens), and the order.

const holder = (owner: string, count: number, holds: number, ttlMs: number, fence: number): StoredPermitHolder => ({
  owner,
  count,
  holds,
  ttlMs,
  fence,
});
const ME = 'me:0123456789abcdef0123456789abcdef';
const ME_TOO = 'me:fedcba9876543210fedcba9876543210';
const OTHER = 'other:00112233445566778899aabbccddeeff';

describe('inspect and list of read-write locks and semaphores', () => {
  let app: LockApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const start = async (store: LockStore) => (app = await createLockApp({ store, instanceId: 'me' })).locks;

  it('a read-write lock: readers, writer, waiters and each holder by instance id, never a token', async () => {
    const store = withFakePermits();
    const locks = await start(store);
    store.setPermits({
      name: 'catalog',
      family: 'rw',
      limit: RW_PERMITS,
      holders: [holder(ME, 1, 2, 9000, 5), holder(OTHER, 1, 1, 12_000, 5)],
      waiters: 3,
    });
    const readers = await locks.inspect('catalog', 'read-write');
    expect(readers).toEqual({
      key: 'catalog',
      kind: 'read-write',
      held: true,
      heldByThisInstance: true,
      holdCount: 3,
      ttlMs: 12_000,
      fence: 5,
      waiters: 3,
      readers: 2,
      writer: false,
      holders: [
        { owner: 'me', thisInstance: true, count: 1, holds: 2, ttlMs: 9000, fence: 5 },
        { owner: 'other', thisInstance: false, count: 1, holds: 1, ttlMs: 12_000, fence: 5 },
      ],
    });
    expect(readers.owner).toBeUndefined(); // two instances hold it
    expect(JSON.stringify(readers)).not.toMatch(/0123456789abcdef|00112233/);

    store.setPermits({
      name: 'catalog',
      family: 'rw',
      limit: RW_PERMITS,
      holders: [holder(OTHER, RW_PERMITS, 2, 4000, 9)], // a writer with a read inside its write
      waiters: 0,
    });
    expect(await locks.inspect('catalog', 'read-write')).toMatchObject({
      held: true,
      owner: 'other',
      heldByThisInstance: false,
      readers: 0,
      writer: true,
      holdCount: 2,
      fence: 9,
      waiters: 0,
    });
    // the mutex of the same name is another lock
    expect(await locks.inspect('catalog')).toMatchObject({ kind: 'mutex', held: false, ttlMs: -2 });
  });

  it('a semaphore: permits limit, used and free (never below 0), holders; free when it has no state', async () => {
    const store = withFakePermits();
    const locks = await start(store);
    store.setPermits({
      name: 'api',
      family: 'sem',
      limit: 4,
      holders: [holder(ME, 2, 1, 3000, 11), holder(ME_TOO, 1, 1, 5000, 12)],
      waiters: 1,
    });
    const info = await locks.inspect('api', 'semaphore');
    expect(info).toMatchObject({
      key: 'api',
      kind: 'semaphore',
      held: true,
      owner: 'me', // both holders are this instance
      heldByThisInstance: true,
      holdCount: 2,
      ttlMs: 5000,
      fence: 12,
      waiters: 1,
      permits: { limit: 4, used: 3, free: 1 },
    });
    expect(info.holders.map((h) => [h.owner, h.count])).toEqual([
      ['me', 2],
      ['me', 1],
    ]);
    expect(JSON.stringify(info)).not.toContain(ME.split(':')[1]);
    // a limit lowered below what is held: nothing free until enough release
    store.setPermits({ name: 'api', family: 'sem', limit: 2, holders: [holder(OTHER, 3, 1, 3000, 13)], waiters: 0 });
    expect((await locks.inspect('api', 'semaphore')).permits).toEqual({ limit: 2, used: 3, free: 0 });
    expect(await locks.inspect('unused', 'semaphore')).toEqual({
      key: 'unused',
      kind: 'semaphore',
      held: false,
      heldByThisInstance: false,
      holdCount: 0,
      ttlMs: -2,
      waiters: 0,
      permits: { limit: 0, used: 0, free: 0 },
      holders: [],
    });
  });

  it('refuses an unknown kind, a bad key, and read-write or semaphore inspection on a store without permits', async () => {
    const locks = await start(withFakePermits());
    await expect(locks.inspect('x', 'rw' as never)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    await expect(locks.inspect('a{b}', 'semaphore')).rejects.toMatchObject({ code: 'invalid_key' });
    await app!.close();
    const plain = await start(withoutPermits());
    await expect(plain.inspect('x', 'read-write')).rejects.toThrow(/read-write locks need a single Redis/);
    await expect(plain.inspect('x', 'semaphore')).rejects.toBeInstanceOf(InvalidLockOptionsError);
    expect(await plain.inspect('x')).toMatchObject({ kind: 'mutex', held: false });
  });

  it('list returns every kind, sorted by name then kind, bounded, without reserved, foreign or unheld names', async () => {
    const store = withFakePermits();
    const locks = await start(store);
    const mutex = await locks.acquire('b', '10s');
    const sem = (name: string, holders: StoredPermitHolder[], waiters = 0) =>
      store.setPermits({ name, family: 'sem', limit: 2, holders, waiters });
    sem('c', [holder(OTHER, 1, 1, 5000, 1)]);
    sem('a', [holder(ME, 1, 1, 5000, 2)]);
    store.setPermits({
      name: 'b',
      family: 'rw',
      limit: RW_PERMITS,
      holders: [holder(OTHER, 1, 1, 5000, 3)],
      waiters: 0,
    });
    store.setPermits({
      name: HEALTH_PROBE_KEY,
      family: 'rw',
      limit: RW_PERMITS,
      holders: [holder(ME, 1, 1, 5000, 4)],
      waiters: 0,
    });
    sem('x{y', [holder(OTHER, 1, 1, 5000, 5)]); // a name this module could not have written
    sem('d', [], 2); // waiters only, nobody holds it: not listed
    const summary = (infos: LockInfo[]) => infos.map((i) => `${i.key}/${i.kind}`);
    expect(summary(await locks.list())).toEqual(['a/semaphore', 'b/mutex', 'b/read-write', 'c/semaphore']);
    expect(summary(await locks.list('b'))).toEqual(['b/mutex', 'b/read-write']);
    expect(summary(await locks.list('', 2))).toEqual(['a/semaphore', 'b/mutex']);
    const listed = await locks.list();
    const rw = listed.find((i) => i.kind === 'read-write');
    expect(rw).toMatchObject({ key: 'b', readers: 1, writer: false, owner: 'other' });
    expect(listed.find((i) => i.key === 'a')).toMatchObject({ permits: { limit: 2, used: 1, free: 1 } });
    expect(JSON.stringify(listed)).not.toMatch(/0123456789abcdef|00112233|:[0-9a-f]{32}/);
    await mutex.release();
    expect(summary(await locks.list())).toEqual(['a/semaphore', 'b/read-write', 'c/semaphore']);
  });

  it('list on a store without permits lists mutexes only and asks nothing else', async () => {
    const locks = await start(withoutPermits());
    const held = await locks.acquire('m', '10s');
    expect((await locks.list()).map((i) => [i.key, i.kind])).toEqual([['m', 'mutex']]);
    await held.release();
  });
});
