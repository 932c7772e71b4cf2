import type { LockHandle } from './lock-handle.js';

/**
 * Several locks taken together by `lockService.withLocks(keys, fn)` (all or none), in their
 * canonical order (sorted, duplicates removed).
 *
 * - `locks`: the individual {@link LockHandle}s (each with its own `getFence()`).
 * - `signal`: aborts as soon as any of the locks is lost.
 * - `release()`: releases every lock, in reverse order; idempotent.
 *
 * @example
 * await locks.withLocks(['account:1', 'account:2'], async (held) => {
 *   await ledger.transfer(1, 2, 100, { signal: held.signal, fence: await held.get('account:1')!.getFence() });
 * });
 */
export class MultiLockHandle {
  /** The held locks, in canonical (sorted) key order. */
  readonly locks: readonly LockHandle[];
  /** Aborts (with the first lost lock's `LockLostError`) when any of the locks is lost. */
  readonly signal: AbortSignal;
  private releasing?: Promise<boolean>;

  /** @internal Obtained from `LockService.withLocks`. */
  constructor(locks: readonly LockHandle[]) {
    this.locks = locks;
    this.signal = locks.length === 1 ? locks[0].signal : AbortSignal.any(locks.map((lock) => lock.signal));
  }

  /** The lock names, in canonical order. */
  get keys(): string[] {
    return this.locks.map((lock) => lock.getKey());
  }

  /** The handle of one key, or `undefined` when it is not part of this set. */
  get(key: string): LockHandle | undefined {
    return this.locks.find((lock) => lock.getKey() === key);
  }

  /**
   * Fencing token of every key, as far as known (an atomic multi-key acquire mints them all; keys
   * taken one by one mint on `getFences()`).
   */
  get fences(): Record<string, number | undefined> {
    return Object.fromEntries(this.locks.map((lock) => [lock.getKey(), lock.fence]));
  }

  /**
   * Fencing token of every key, minted where not known yet (see `LockHandle.getFence()`).
   *
   * @example
   * const { 'account:1': fence } = await held.getFences();
   */
  async getFences(): Promise<Record<string, number>> {
    const fences = await Promise.all(this.locks.map((lock) => lock.getFence()));
    return Object.fromEntries(this.locks.map((lock, i) => [lock.getKey(), fences[i]]));
  }

  /** Whether every lock of the set is still held (judged locally, see `LockHandle.isHeld`). */
  isHeld(): boolean {
    return this.locks.every((lock) => lock.isHeld());
  }

  /**
   * Releases every lock in reverse order. Idempotent. Resolves `true` when Redis still had all of
   * them for this owner. Rejects only with `LockBackendError` (after trying every lock).
   */
  release(): Promise<boolean> {
    this.releasing ??= (async () => {
      let all = true;
      let failure: unknown;
      for (const lock of [...this.locks].reverse()) {
        try {
          all = (await lock.release()) && all;
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure) throw failure;
      return all;
    })();
    return this.releasing;
  }

  /** A log-safe description. */
  toString(): string {
    return `MultiLockHandle(${this.keys.join(', ')})`;
  }

  /** Keeps owner tokens out of `JSON.stringify` output. */
  toJSON(): Record<string, unknown> {
    return { keys: this.keys, locks: this.locks.map((lock) => lock.toJSON()) };
  }
}
