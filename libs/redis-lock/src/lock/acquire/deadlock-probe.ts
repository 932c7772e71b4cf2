import { performance } from 'node:perf_hooks';
import { DeadlockError } from '../../errors/index.js';
import type { LockStore, WaitsForEntry } from '../../store/lock-store.js';
import type { LockHandle } from '../handles/lock-handle.js';

/** Longest wait-for chain followed before giving up the search (each hop past the first costs a round trip). */
export const MAX_DEADLOCK_DEPTH = 8;

/**
 * Cross-process deadlock detection for one waiting acquisition.
 *
 * The owner identity of the wait-for graph is the async context (the outer `withLock`), not the
 * per-key owner token. While a context that already holds locks waits for key K, it writes
 * "waits for K" (with an expiry) into every lock it holds. The acquire script's busy answer carries
 * that record of the lock's holder, so a waiter learns for free what the holder waits for; when the
 * chain (followed at most {@link MAX_DEADLOCK_DEPTH} hops) reaches a lock this context holds, the
 * owners wait for each other in a cycle. Exactly one of them gives up with {@link DeadlockError}:
 * the one waiting for the greatest key of the cycle (every member sees the same key set), so the
 * others proceed as soon as it releases.
 *
 * Cost: nothing while locks are free, and nothing for a waiter that holds no other lock (it cannot
 * be part of a cycle). A waiter that holds locks pays one round trip to announce its wait (and one,
 * not awaited, to withdraw it), plus one per hop beyond the first of a chain being followed.
 */
export class DeadlockProbe {
  private announcedAt = -Infinity;
  private readonly entries: WaitsForEntry[];
  private readonly heldKeys: ReadonlySet<string>;

  private constructor(
    private readonly store: LockStore & Required<Pick<LockStore, 'setWaitsFor' | 'waitsFor'>>,
    private readonly name: string,
    held: readonly LockHandle[],
    private readonly recordTtlMs: number,
  ) {
    this.entries = held.map((handle) => ({ name: handle.getKey(), owner: handle.getValue() }));
    this.heldKeys = new Set(this.entries.map((entry) => entry.name));
  }

  /**
   * A probe for a wait on `name` by a context that holds `held` (root handles), or `undefined` when
   * no cycle can involve this wait (nothing held) or the store cannot record waits.
   *
   * @param maxGapMs the longest the waiter may sleep between two attempts; the wait record lives 3× as long.
   */
  static create(
    store: LockStore,
    name: string,
    held: readonly LockHandle[],
    maxGapMs: number,
  ): DeadlockProbe | undefined {
    if (held.length === 0) return undefined; // the common case: the context holds nothing else
    const others = held.filter((handle) => handle.getKey() !== name && handle.isHeld());
    if (others.length === 0 || !store.setWaitsFor || !store.waitsFor) return undefined;
    const ttl = Math.min(60_000, Math.max(5_000, 3 * maxGapMs));
    return new DeadlockProbe(
      store as LockStore & Required<Pick<LockStore, 'setWaitsFor' | 'waitsFor'>>,
      name,
      others,
      ttl,
    );
  }

  /**
   * Called after each busy answer (`holderWaitsFor` = what the holder of `name` waits for, from
   * that answer; `undefined` when the answer does not tell, e.g. the fair queue's script, and one
   * `waitsFor` round trip asks). Throws {@link DeadlockError} when this owner is the cycle's victim.
   */
  async onBusy(holderWaitsFor: string | null | undefined): Promise<void> {
    const now = performance.now();
    if (now - this.announcedAt > this.recordTtlMs / 3) {
      this.announcedAt = now;
      await this.store.setWaitsFor(this.entries, this.name, this.recordTtlMs);
    }
    const cycle = [this.name];
    let next = holderWaitsFor === undefined ? await this.store.waitsFor(this.name) : (holderWaitsFor ?? undefined);
    for (let depth = 0; next !== undefined && depth < MAX_DEADLOCK_DEPTH; depth++) {
      if (cycle.includes(next)) return; // a cycle among other owners: its members detect it
      cycle.push(next);
      if (this.heldKeys.has(next)) {
        const victim = cycle.reduce((a, b) => (b > a ? b : a));
        if (victim !== this.name) return; // another member of the cycle gives up
        throw new DeadlockError(
          cycle,
          `this owner waits for "${this.name}" while holding "${next}", and the wait-for chain of "${this.name}"'s holder leads back to "${next}"; ` +
            'of the owners in the cycle, the one waiting for the greatest key gives up (this one), so the others can continue. ' +
            'Take the keys in one order, or together with withLocks()/@WithLock([...keys])',
        );
      }
      next = await this.store.waitsFor(next);
    }
  }

  /** The wait ended (acquired, failed or cancelled): withdraw the record without waiting for Redis. */
  done(): void {
    if (this.announcedAt === -Infinity) return;
    this.store.setWaitsFor(this.entries, null, 0).catch(() => undefined);
  }
}
