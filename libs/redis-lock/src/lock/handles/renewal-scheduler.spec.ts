import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { LockLostReason } from '../../errors/index.js';
import type { LockStore, RenewRequest } from '../../store/lock-store.js';
import { LockHandle, type HandleController, type HandleState } from './lock-handle.js';
import { RenewalScheduler } from './renewal-scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose renewals answer only when the test says so. */
function stalledStore() {
  const pending: { requests: readonly RenewRequest[]; answer(results: boolean[]): void }[] = [];
  const store = {
    renewMany: (requests: readonly RenewRequest[]) =>
      new Promise<boolean[]>((answer) => pending.push({ requests, answer })),
  } as unknown as LockStore;
  return { store, pending };
}

const controller = {} as HandleController;

function handle(ttlMs: number, overrides: Partial<HandleState> = {}): LockHandle {
  const now = performance.now();
  const state: HandleState = {
    ttlMs,
    expiresAt: now + ttlMs - 2,
    renewAt: now + ttlMs / 2,
    acquiredAt: now,
    autoRenew: true,
    renewalThreshold: 0.5,
    maxHoldMs: 60_000,
    ownership: 1,
    label: 'k',
    status: 'held',
    ...overrides,
  };
  return new LockHandle('k', 'owner', 1, 1, state, controller);
}

function schedulerWith(store: LockStore) {
  const lost: [LockHandle, LockLostReason, number][] = [];
  const scheduler = new RenewalScheduler(
    store,
    {
      renewed: () => undefined,
      renewalFailed: () => undefined,
      lost: (h, reason) => {
        lost.push([h, reason, performance.now()]);
        h.markLost(reason);
        scheduler.remove(h);
      },
    },
    10_000,
  );
  return { scheduler, lost };
}

describe('RenewalScheduler', () => {
  it('expires a lock at the end of its validity while its renewal is still in flight', async () => {
    const { store, pending } = stalledStore();
    const { scheduler, lost } = schedulerWith(store);
    const h = handle(100);
    scheduler.add(h);
    scheduler.start();
    try {
      await sleep(70); // renewal sent at ~50 ms, never answered
      expect(pending).toHaveLength(1);
      await sleep(80);
      expect(lost.map(([, reason]) => reason)).toEqual(['expired']);
      expect(h.signal.aborted).toBe(true);
      // The renewal answers "renewed" afterwards: the lock stays lost.
      pending[0].answer([true]);
      await sleep(5);
      expect(h.isHeld()).toBe(false);
      expect(h.state.status).toBe('lost');
      expect(scheduler.has(h)).toBe(false);
    } finally {
      scheduler.stop();
    }
  });

  it('a lock past maxHoldTime by its renewal time wakes the watchdog only at its expiry', async () => {
    const { store, pending } = stalledStore();
    const { scheduler, lost } = schedulerWith(store);
    const h = handle(100, { maxHoldMs: 20 });
    let ticks = 0;
    const tick = scheduler.tick.bind(scheduler);
    scheduler.tick = () => {
      ticks++;
      return tick();
    };
    scheduler.add(h);
    scheduler.start();
    try {
      await sleep(130);
      expect(pending).toHaveLength(0);
      expect(lost.map(([, reason]) => reason)).toEqual(['max_hold_time']);
      expect(ticks).toBeLessThanOrEqual(3);
    } finally {
      scheduler.stop();
    }
  });
});
