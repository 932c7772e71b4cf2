import { Injectable } from '@nestjs/common';
import type { Duration } from '../config/duration.js';
import type { LockHandle } from './handles/lock-handle.js';
import type { LockKind } from './lock-kind.js';
import type { LockOptions } from './lock-options.js';
import { LockServiceBase } from './lock-service.base.js';
import { runWithLocks, type MultiLockCallback, type TryRunResult } from './multi-lock.js';
import { Semaphore, type SemaphoreOptions } from './primitives/semaphore.js';

/** The callback of `withLock` and friends: receives the held lock, returns the result. */
export type LockCallback<T> = (lock: LockHandle) => Promise<T> | T;

/** `acquire` and `tryLock`: not reentrant, not renewed unless the options say so. */
const MANUAL_HANDLE = { reentrant: false, renew: false } as const;

/**
 * The lock API. Inject it anywhere after importing `RedisLockModule.forRoot(...)`.
 *
 * - `withLock(key, fn, options?)`: the general form; reentrant within the callback's async tree.
 * - `lock`, `lockWithOptions`, `lockReentrant`: the seed's functions.
 * - `acquire`, `tryLock`: manual handles.
 * - `withReadLock`, `withWriteLock`, `semaphore`: read-write locks and semaphores.
 * - `withLocks`, `tryWithLocks`: several keys, all or none.
 *
 * Monitoring (`getStatistics`, `checkHealth`, `inspect`, `list`, `forceRelease`) and the lifecycle
 * hooks come from {@link LockServiceBase} (lock-service.base.ts); held locks are managed by
 * `LockHandleController` (handles/handle-controller.ts).
 *
 * @example
 * @Injectable()
 * export class Billing {
 *   constructor(private readonly locks: LockService) {}
 *   charge(orderId: string) {
 *     return this.locks.withLock(`order:${orderId}`, async (lock) => {
 *       await this.payments.charge(orderId, { fence: await lock.getFence() });
 *     });
 *   }
 * }
 */
@Injectable()
export class LockService extends LockServiceBase {
  // ---- the seed's functions -------------------------------------------------------------------

  /**
   * Seed `Lock(ctx, key, timeout, fn)`: take `key` for `ttl`, run `fn`, release. Not reentrant: a
   * nested `lock` on a key the context already holds fails fast with `DeadlockError`.
   *
   * @example
   * await locks.lock('nightly-report', '30s', () => report.build());
   */
  lock<T>(key: string, ttl: Duration | undefined, fn: LockCallback<T>): Promise<T> {
    return this.run(key, fn, ttl === undefined ? undefined : { expiration: ttl }, false);
  }

  /**
   * Seed `LockWithOptions(ctx, key, options, fn)`. Not reentrant unless `options.reentrant`.
   *
   * @example
   * await locks.lockWithOptions('sync', { expiration: '60s', maxRetries: 5 }, (lock) => sync(lock.signal));
   */
  lockWithOptions<T>(key: string, options: LockOptions, fn: LockCallback<T>): Promise<T> {
    return this.run(key, fn, options, false);
  }

  /**
   * Seed `LockReentrant(ctx, key, timeout, fn)`: nested calls on the same key inside `fn`'s async
   * tree take another hold instead of waiting; the lock is released when the outermost call ends.
   *
   * @example
   * await locks.lockReentrant('acct:1', '10s', () => locks.lockReentrant('acct:1', '10s', transfer));
   */
  lockReentrant<T>(key: string, ttl: Duration | undefined, fn: LockCallback<T>): Promise<T> {
    return this.run(key, fn, ttl === undefined ? undefined : { expiration: ttl }, true);
  }

  /**
   * Take `key`, run `fn(lock)`, release, and return `fn`'s result (or rethrow its error, unchanged).
   * Reentrant by default, renewed by the watchdog while `fn` runs (per `lock.renewalEnabled`).
   *
   * @example
   * const total = await locks.withLock('cart:9', async (lock) => {
   *   lock.signal.throwIfAborted();
   *   return cart.checkout(lock.fence);
   * }, { ttl: '10s' });
   */
  withLock<T>(key: string, fn: LockCallback<T>, options?: LockOptions): Promise<T> {
    return this.run(key, fn, options, true);
  }

  /**
   * Seed `Acquire(ctx, key, timeout)`: wait (per the retry strategy) for the lock and return its
   * handle. The caller must `release()` it. Renewed automatically only with `renewalEnabled: true`.
   *
   * @example
   * const lock = await locks.acquire('import', '2m', { renewalEnabled: true });
   * try { await runImport(lock.signal); } finally { await lock.release(); }
   */
  acquire(key: string, ttl?: Duration, options?: LockOptions): Promise<LockHandle> {
    // take() resolves null only for a single attempt (`once`), so this is never null.
    return this.handles.take(
      key,
      ttl === undefined ? options : { ...options, expiration: ttl },
      MANUAL_HANDLE,
      false,
    ) as Promise<LockHandle>;
  }

  /**
   * Seed `TryLock(ctx, key, timeout)`: one attempt, never waits. Returns `null` when busy.
   *
   * @example
   * const lock = await locks.tryLock('cleanup', '5m');
   * if (!lock) return; // another instance is on it
   */
  tryLock(key: string, ttl?: Duration, options?: LockOptions): Promise<LockHandle | null> {
    return this.handles.take(key, ttl === undefined ? options : { ...options, expiration: ttl }, MANUAL_HANDLE, true);
  }

  /**
   * Takes `key`'s read-write lock for reading (shared with other readers), runs `fn`, releases.
   * Fair and writer-preferring: once a writer waits, new readers queue behind it. Reentrant (a read
   * inside a read or a write of the same context), renewed, fenced. Same as `withLock(key, fn,
   * { ...options, mode: 'read' })`. See docs/read-write-and-semaphores.md.
   *
   * @example
   * const report = await locks.withReadLock('catalog', () => catalog.snapshot());
   */
  withReadLock<T>(key: string, fn: LockCallback<T>, options?: LockOptions): Promise<T> {
    return this.run(key, fn, { ...options, mode: 'read' }, true);
  }

  /**
   * Takes `key`'s read-write lock for writing (no reader, no other writer), runs `fn`, releases.
   * Its fencing token is above every earlier token of the name. Asking for it inside a read of the
   * same lock fails at once with `DeadlockError` (it would wait for itself).
   *
   * @example
   * await locks.withWriteLock('catalog', async (lock) => catalog.replace(rows, await lock.getFence()));
   */
  withWriteLock<T>(key: string, fn: LockCallback<T>, options?: LockOptions): Promise<T> {
    return this.run(key, fn, { ...options, mode: 'write' }, true);
  }

  /**
   * A distributed semaphore of `permits` permits named `name` (see {@link Semaphore}). Cheap: the
   * object holds no state, so create it where it is used or keep one.
   *
   * @example
   * const api = locks.semaphore('partner-api', { permits: 4 });
   * await api.withPermits(1, () => partner.call());
   */
  semaphore(name: string, options: SemaphoreOptions): Semaphore {
    return new Semaphore(name, options, this.semaphoreHost);
  }

  /**
   * Takes every key, all or none, runs `fn` with the set held, releases and returns `fn`'s result.
   * Keys are taken in one canonical order (sorted, duplicates removed): in one atomic script when
   * the store can (a single Redis node), otherwise one by one, releasing what was taken before
   * backing off, so callers with overlapping key sets never deadlock. Reentrant and renewed like
   * `withLock`; `options` apply to every key. See docs/decorator.md#multi-key-locks.
   *
   * @example
   * await locks.withLocks([`account:${from}`, `account:${to}`], async (held) => {
   *   await ledger.transfer(from, to, amount, { signal: held.signal });
   * }, { ttl: '10s' });
   */
  async withLocks<T>(keys: readonly string[], fn: MultiLockCallback<T>, options?: LockOptions): Promise<T> {
    return ((await runWithLocks(this.handles.multiLockHost, keys, fn, options, false)) as { value: T }).value;
  }

  /**
   * One attempt at every key (all or none), never waiting: runs `fn` and resolves
   * `{ acquired: true, value }`, or resolves `{ acquired: false, busyKey }` without running it.
   * `@WithLock({ onLocked: 'skip' | 'throw' })` uses it.
   *
   * @example
   * const run = await locks.tryWithLocks(['job:report'], () => report.build());
   * if (!run.acquired) logger.log(`skipped: ${run.busyKey} is busy`);
   */
  tryWithLocks<T>(keys: readonly string[], fn: MultiLockCallback<T>, options?: LockOptions): Promise<TryRunResult<T>> {
    return runWithLocks(this.handles.multiLockHost, keys, fn, options, true);
  }

  /** @internal `@WithLock({ onLocked: 'skip' })` skipped a call: emits `skipped` (statistics and metrics count it). */
  noteSkipped(name: string, key: string, kind: LockKind = 'mutex'): void {
    this.events.emit('skipped', { kind, name, key });
  }
}
