import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockLostError, MemoryLockStore, type LockStore } from '@lynx-nest/redis-lock';
// @ts-expect-error plain ESM helper of the fault suite
import { FaultProxy } from './faults/fault-proxy.mjs';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// Issue 13, defect 1: the holder's connection stops forwarding (Redis stays up for everyone else),
// so its renewal hangs until the command timeout. The holder must still be told its lock is lost
// when its validity ends, before anyone else can take the lock, not when the renewal gives up.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a stalled renewal does not delay the lost-lock signal', () => {
  let redis: RedisServer;
  let proxy: { listen(): Promise<number>; stall(): void; pass(): void; close(): Promise<void> };
  let holder: LockApp;
  let other: LockApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = new FaultProxy({ targetPort: redis.port });
    const port = await proxy.listen();
    const lock = { defaultTimeout: '3s', commandTimeout: '2s', circuitBreaker: { enabled: false } };
    holder = await createLockApp({ addrs: [`127.0.0.1:${port}`], instanceId: 'holder', lock });
    other = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], instanceId: 'other', lock });
  });
  afterAll(async () => {
    proxy?.pass();
    await holder?.close();
    await other?.close();
    await proxy?.close();
    closeClients();
    await redis?.stop();
  });

  it("aborts the holder's signal (and reports the loss) before another owner acquires", async () => {
    const lostCalls: LockLostError[] = [];
    const onLockLost = (e: LockLostError) => lostCalls.push(e);
    const a = await holder.locks.acquire('stall:renewal', '3s', { renewalEnabled: true, onLockLost });
    let abortedAt: number | undefined;
    let heldAtAbort: boolean | undefined;
    a.signal.addEventListener('abort', () => {
      abortedAt = performance.now();
      heldAtAbort = a.isHeld();
    });
    proxy.stall(); // the renewal (due at 1.5 s) hangs until the 2 s command timeout, i.e. past the TTL
    let b = null;
    while (!b) {
      b = await other.locks.tryLock('stall:renewal', '3s');
      if (!b) await sleep(5);
    }
    const acquiredAt = performance.now();
    try {
      expect(abortedAt, 'signal aborted before B acquired').toBeDefined();
      expect(abortedAt!).toBeLessThan(acquiredAt);
      expect(heldAtAbort).toBe(false);
      expect(a.isHeld()).toBe(false);
      expect(a.signal.reason).toBeInstanceOf(LockLostError);
      expect(lostCalls).toHaveLength(1);
      // The stalled renewal's reply (a refusal, or its timeout) arrives later and changes nothing.
      proxy.pass();
      await sleep(600);
      expect(a.isHeld()).toBe(false);
      expect(lostCalls).toHaveLength(1);
    } finally {
      proxy.pass();
      await b.release();
    }
  });
});

describe('a renewal answered after the lock was marked lost', () => {
  let app: LockApp;
  const replyDelay = { ms: 0 };

  beforeAll(async () => {
    // An in-process store whose renewals are answered late (the command ran in time; the reply is slow).
    const inner = new MemoryLockStore();
    const store = Object.create(inner) as LockStore;
    store.renew = async (...args: Parameters<LockStore['renew']>) => {
      const renewed = await inner.renew(...args);
      await sleep(replyDelay.ms);
      return renewed;
    };
    app = await createLockApp({ store, instanceId: 'late-reply' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('handle.renew() rejects with the LockLostError instead of reviving the lock', async () => {
    const lock = await app.locks.acquire('late:renew', 200);
    await sleep(100);
    replyDelay.ms = 200; // answered at ~300 ms, after the validity ends (~196 ms)
    const renewal = lock.renew().then(
      () => 'renewed',
      (e: unknown) => e,
    );
    await sleep(150);
    expect(lock.signal.aborted).toBe(true); // the watchdog did not wait for the renewal
    const outcome = await renewal;
    expect(outcome).toBeInstanceOf(LockLostError);
    expect(lock.isHeld()).toBe(false);
    expect(lock.state.status).toBe('lost');
  });
});
