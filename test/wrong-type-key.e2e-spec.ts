import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError, LockError, LockKeyTypeError, LockLostError } from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// Issue 13: a key of another Redis type where a lock's keys live (e.g. a hash at the lock key)
// answers WRONGTYPE. That must fail only that lock, with a typed error naming the key, never count
// as a backend failure (five of those would open the circuit breaker for every other lock), and
// list() must skip such keys.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a key of another Redis type at a lock key', () => {
  let redis: RedisServer;
  let app: LockApp;
  let direct: ReturnType<RedisServer['client']>;

  beforeAll(async () => {
    redis = await startRedisServer();
    const lock = { circuitBreaker: { failureThreshold: 5 } };
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'typed', lock });
    direct = redis.client();
  });
  afterAll(async () => {
    await app?.close();
    closeClients();
    await redis?.stop();
  });

  it('fails only that lock, with LockKeyTypeError naming it, on every path, and never opens the breaker', async () => {
    await direct.hset('lynx:lock:{typed:hash}', 'field', 'value');
    await direct.hset('lynx:lock:{typed:fence}:fence', 'field', 'value');
    const attempts = [
      () => app.locks.tryLock('typed:hash'),
      () => app.locks.tryLock('typed:hash', '5s', { fair: true }),
      () => app.locks.acquire('typed:hash', '5s', { fair: false }),
      () => app.locks.acquire('typed:hash', '5s', { fair: true }),
      () => app.locks.withLock('typed:hash', () => 'ran'),
      () => app.locks.withLocks(['typed:hash', 'typed:free'], () => 'ran'),
      () => app.locks.tryLock('typed:fence', '5s', { fence: true }),
      // Minted lazily: the acquire never touches the counter, the first getFence() meets it.
      async () => {
        const handle = await app.locks.tryLock('typed:fence');
        try {
          return await handle!.getFence();
        } finally {
          await handle!.release();
        }
      },
      () => app.locks.inspect('typed:hash'),
    ];
    for (let round = 0; round < 2; round++) {
      for (const attempt of attempts) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(LockKeyTypeError);
        expect(error).toBeInstanceOf(LockError);
        expect(error).not.toBeInstanceOf(LockBackendError);
        const typed = error as LockKeyTypeError;
        expect(typed.code).toBe('wrong_type');
        expect(['typed:hash', 'typed:fence']).toContain(typed.key);
        expect(typed.message).toContain(`lynx:lock:{${typed.key}}`);
        expect(typed.message).toMatch(/WRONGTYPE|another type/);
      }
    }
    expect(app.locks.getStatistics().circuitBreaker).toBe('closed');
    const other = await app.locks.tryLock('typed:other', '5s');
    expect(other).not.toBeNull();
    expect((await app.locks.inspect('typed:free')).held).toBe(false); // withLocks gave back what it took
    await other!.release();
    expect(await direct.hget('lynx:lock:{typed:hash}', 'field')).toBe('value'); // left alone
  });

  it('list() skips such keys and lists the others', async () => {
    await direct.hset('lynx:lock:{typed:list-hash}', 'field', 'value');
    const held = await app.locks.acquire('typed:list-held', '5s');
    try {
      const listed = await app.locks.list('typed:list');
      expect(listed.map((info) => info.key)).toEqual(['typed:list-held']);
    } finally {
      await held.release();
    }
  });

  it('a held lock whose key was replaced by another type is lost (refused); other locks keep renewing', async () => {
    const lost: LockLostError[] = [];
    const options = { renewalEnabled: true, onLockLost: (e: LockLostError) => lost.push(e) };
    const victim = await app.locks.acquire('typed:victim', 600, options);
    const healthy = await app.locks.acquire('typed:healthy', 600, options);
    await direct.del('lynx:lock:{typed:victim}');
    await direct.hset('lynx:lock:{typed:victim}', 'field', 'value');
    await sleep(900); // past both TTLs: only renewals keep a lock
    try {
      expect(victim.isHeld()).toBe(false);
      expect(lost.map((e) => [e.key, e.reason])).toEqual([['typed:victim', 'refused']]);
      expect(healthy.isHeld()).toBe(true);
      expect(app.locks.getStatistics().circuitBreaker).toBe('closed');
    } finally {
      await healthy.release();
      await victim.release();
    }
  });
});
