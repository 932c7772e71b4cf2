import { afterEach, describe, expect, it } from 'vitest';
import { InvalidLockKeyError, LockBackendError } from '../errors/index.js';
import { CircuitBreakerStore, type CircuitBreakerChange } from './circuit-breaker.store.js';
import type { LockStore } from './lock-store.js';
import { MemoryLockStore } from './memory-lock.store.js';
import { supportsPermits, type PermitStore } from './permit-store.js';
import { RedlockStore } from './redlock.store.js';

/** A memory store that fails every call with LockBackendError while `down`, and counts calls. */
class FlakyStore extends MemoryLockStore {
  down = false;
  calls: Record<string, number> = {};
  private gate(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    if (this.down) throw new LockBackendError(op, 'connection refused');
  }
  override async acquire(...a: Parameters<LockStore['acquire']>) {
    this.gate('acquire');
    return super.acquire(...a);
  }
  override async release(...a: Parameters<LockStore['release']>) {
    this.gate('release');
    return super.release(...a);
  }
  override async renew(...a: Parameters<LockStore['renew']>) {
    this.gate('renew');
    return super.renew(...a);
  }
  override async renewMany(...a: Parameters<LockStore['renewMany']>) {
    this.gate('renewMany');
    return super.renewMany(...a);
  }
  override async ping() {
    this.gate('ping');
    return super.ping();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CircuitBreakerStore', () => {
  const stores: CircuitBreakerStore[] = [];
  const make = (failureThreshold = 3, resetTimeoutMs = 100) => {
    const inner = new FlakyStore();
    const breaker = new CircuitBreakerStore(inner, { failureThreshold, resetTimeoutMs });
    const changes: CircuitBreakerChange[] = [];
    breaker.onStateChange((c) => changes.push(c));
    stores.push(breaker);
    return { inner, breaker, changes };
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('opens after N consecutive backend failures, then rejects acquisitions without calling the backend', async () => {
    const { inner, breaker, changes } = make(3);
    inner.down = true;
    for (let i = 0; i < 2; i++)
      await expect(breaker.acquire('k', 'o:1', 1000, false)).rejects.toBeInstanceOf(LockBackendError);
    expect(breaker.state).toBe('closed');
    await expect(breaker.acquire('k', 'o:1', 1000, false)).rejects.toBeInstanceOf(LockBackendError);
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ state: 'open', previous: 'closed', failures: 3 }]);
    const before = inner.calls.acquire;
    const errors = await Promise.all(
      Array.from({ length: 100 }, () => breaker.acquire('k', 'o:1', 1000, false).catch((e) => e)),
    );
    expect(errors.every((e) => e instanceof LockBackendError && /circuit breaker open/.test(e.message))).toBe(true);
    expect(inner.calls.acquire).toBe(before);
    expect(breaker.status()).toMatchObject({ state: 'open', timesOpened: 1, rejected: 100 });
  });

  it('a success resets the count: only consecutive failures open it', async () => {
    const { inner, breaker } = make(3);
    for (let round = 0; round < 5; round++) {
      inner.down = true;
      await breaker.acquire('k', 'o:1', 1000, false).catch(() => undefined);
      await breaker.acquire('k', 'o:1', 1000, false).catch(() => undefined);
      inner.down = false;
      await breaker.ping();
    }
    expect(breaker.state).toBe('closed');
  });

  it('errors that are not backend failures do not count', async () => {
    const inner = new MemoryLockStore();
    inner.acquire = async () => {
      throw new InvalidLockKeyError('key', 'bad');
    };
    const breaker = new CircuitBreakerStore(inner, { failureThreshold: 1, resetTimeoutMs: 100 });
    stores.push(breaker);
    await expect(breaker.acquire('k', 'o:1', 1000, false)).rejects.toBeInstanceOf(InvalidLockKeyError);
    expect(breaker.state).toBe('closed');
  });

  it('renewals and releases still reach the backend while open; their success closes it', async () => {
    const { inner, breaker } = make(2, 60_000);
    const held = await breaker.acquire('held', 'o:1', 5000, false);
    expect(held.acquired).toBe(true);
    inner.down = true;
    await breaker.acquire('x', 'o:2', 1000, false).catch(() => undefined);
    await breaker.acquire('x', 'o:2', 1000, false).catch(() => undefined);
    expect(breaker.state).toBe('open');
    // Still failing: renewal is attempted (not short-circuited) and fails with the backend's own error.
    await expect(breaker.renewMany([{ name: 'held', owner: 'o:1', ttlMs: 5000 }])).rejects.toThrow(
      /connection refused/,
    );
    expect(inner.calls.renewMany).toBe(1);
    inner.down = false;
    expect(await breaker.renewMany([{ name: 'held', owner: 'o:1', ttlMs: 5000 }])).toEqual([true]);
    expect(breaker.state).toBe('closed');
    expect(await breaker.release('held', 'o:1')).toBe(0);
  });

  it('probes every resetTimeout while open and closes by itself once the backend answers', async () => {
    const { inner, breaker, changes } = make(1, 50);
    inner.down = true;
    await breaker.acquire('k', 'o:1', 1000, false).catch(() => undefined);
    expect(breaker.state).toBe('open');
    await sleep(180); // about three probes, all failing
    expect(breaker.state).toBe('open');
    expect(inner.calls.ping).toBeGreaterThanOrEqual(2);
    inner.down = false;
    const pingsWhileDown = inner.calls.ping;
    const back = performance.now();
    while (breaker.state !== 'closed' && performance.now() - back < 2000) await sleep(5);
    expect(breaker.state).toBe('closed');
    // Closed by the first probe after the backend returned (not by a later one).
    expect(inner.calls.ping - pingsWhileDown).toBe(1);
    expect(changes.map((c) => c.state)).toContain('half_open');
    expect(changes.at(-1)).toMatchObject({ state: 'closed', previous: 'half_open' });
    expect((await breaker.acquire('k', 'o:1', 1000, false)).acquired).toBe(true);
  });

  it('after the reset timeout one acquisition goes through as the half-open probe', async () => {
    const { inner, breaker } = make(1, 60_000);
    inner.down = true;
    await breaker.acquire('k', 'o:1', 1000, false).catch(() => undefined);
    inner.down = false;
    // Pretend the reset timeout elapsed without the timer firing.
    (breaker as unknown as { openedAt: number }).openedAt = performance.now() - 60_001;
    const [probe, other] = await Promise.allSettled([
      breaker.acquire('k', 'o:1', 1000, false),
      breaker.acquire('k2', 'o:1', 1000, false),
    ]);
    expect(probe).toMatchObject({ status: 'fulfilled', value: { acquired: true } });
    expect(other.status).toBe('rejected'); // only one probe at a time
    expect(breaker.state).toBe('closed');
  });

  it('read-write locks and semaphores: acquirePermits is gated like acquire, the other permit calls counted', async () => {
    const { inner, breaker } = make(2, 60_000);
    // Permit methods of a fake backend (on the instance: whatever MemoryLockStore has is not used here).
    const permits: Pick<PermitStore, 'acquirePermits' | 'releasePermits'> = {
      acquirePermits: async () => {
        inner.calls.acquirePermits = (inner.calls.acquirePermits ?? 0) + 1;
        if (inner.down) throw new LockBackendError('acquire', 'connection refused');
        return { acquired: true, fence: 7, holdCount: 1, handedOff: false };
      },
      releasePermits: async () => {
        if (inner.down) throw new LockBackendError('release', 'connection refused');
        return 0;
      },
    };
    Object.assign(inner, permits);
    expect(breaker.permits).toBe(true);
    expect(supportsPermits(breaker)).toBe(true);
    const spec = { family: 'sem', count: 1, limit: 2, fence: 'mint' } as const;
    expect(await breaker.acquirePermits('s', 'o:1', spec, 1000, 1000, true, false)).toMatchObject({ fence: 7 });
    inner.down = true;
    await expect(breaker.releasePermits('s', 'sem', 'o:1')).rejects.toBeInstanceOf(LockBackendError);
    await expect(breaker.acquirePermits('s', 'o:1', spec, 1000, 1000, true, false)).rejects.toThrow(
      /connection refused/,
    );
    expect(breaker.state).toBe('open');
    const before = inner.calls.acquirePermits;
    await expect(breaker.acquirePermits('s', 'o:1', spec, 1000, 1000, true, false)).rejects.toThrow(
      /circuit breaker open/,
    );
    expect(inner.calls.acquirePermits).toBe(before);
    inner.down = false;
    expect(await breaker.releasePermits('s', 'sem', 'o:1')).toBe(0); // a release still goes through, and closes it
    expect(breaker.state).toBe('closed');
  });

  it('over a store without them (Redlock) it says permits: false and refuses permit calls', async () => {
    const breaker = new CircuitBreakerStore(new RedlockStore({ nodes: [new MemoryLockStore()] }), {
      failureThreshold: 1,
      resetTimeoutMs: 100,
    });
    stores.push(breaker);
    expect(breaker.permits).toBe(false);
    expect(supportsPermits(breaker)).toBe(false);
    await expect(breaker.releasePermits('s', 'rw', 'o:1')).rejects.toThrow(/no read-write locks or semaphores/);
    expect(breaker.watchPermitRelease('s', 'rw', () => undefined)).toBeUndefined();
    expect(breaker.state).toBe('closed'); // not a backend failure
  });

  it('close() stops probing', async () => {
    const { inner, breaker } = make(1, 20);
    inner.down = true;
    await breaker.acquire('k', 'o:1', 1000, false).catch(() => undefined);
    await breaker.close();
    const pings = inner.calls.ping ?? 0;
    await sleep(80);
    expect(inner.calls.ping ?? 0).toBe(pings);
  });
});
