import { InvalidLockOptionsError } from '../../errors/index.js';
import type { LockStore } from '../../store/lock-store.js';
import { assertLockName } from '../../store/lock-keys.js';
import type { LockHandle } from '../handles/lock-handle.js';
import type { LockOptions } from '../lock-options.js';
import type { TryRunResult } from '../multi-lock.js';
import { assertPermitCounts, permitStoreOf, type PrimitiveRequest } from './primitive-request.js';

/**
 * Options of `LockService.semaphore(name, options)`.
 *
 * @example
 * const api = locks.semaphore('partner-api', { permits: 4 });
 */
export interface SemaphoreOptions {
  /**
   * Total permits (1–1,000,000). Every request passes it and the last one wins: lowering it admits
   * nobody new until the holders are under the new number (no holder is revoked); raising it admits
   * waiters at once. Processes should agree on it.
   */
  permits: number;
}

/** @internal What a {@link Semaphore} needs from the service that made it. */
export interface SemaphoreHost {
  store: LockStore;
  renewByDefault: boolean;
  take(
    key: string,
    options: LockOptions | undefined,
    defaults: { reentrant: boolean; renew: boolean },
    once: boolean,
    request: PrimitiveRequest,
  ): Promise<LockHandle | null>;
  runHeld<T>(handles: LockHandle[], fn: () => Promise<T> | T): Promise<T>;
}

/**
 * A distributed counting semaphore with expiring permits (Redisson's `RPermitExpirableSemaphore`,
 * `redis-semaphore`'s `Semaphore`): at most `permits` permits are held at once across every process.
 * Each holding renews and releases like a lock (watchdog, `signal` on loss, `maxHoldTime`, shutdown
 * drain) and its permits come back when it releases or its TTL runs out (a holder that died).
 * Requests are served first come, first served: a request for several permits is not overtaken by
 * later single-permit requests, and a release hands permits straight to the queue's head. Not
 * reentrant: a nested request takes permits of its own. Obtain one with `LockService.semaphore`.
 *
 * @example
 * const api = locks.semaphore('partner-api', { permits: 4 });
 * const result = await api.withPermits(1, () => partner.call());
 * const handle = await api.acquire(2, { ttl: '30s' });
 * try { await bulkSync(handle.signal); } finally { await handle.release(); }
 */
export class Semaphore {
  /** The semaphore's name (validated like a lock name). */
  readonly name: string;
  /** Total permits this object asks for. */
  readonly permits: number;

  /** @internal Use `LockService.semaphore(name, { permits })`. */
  constructor(
    name: string,
    options: SemaphoreOptions,
    private readonly host: SemaphoreHost,
  ) {
    this.name = assertLockName(name, 'name');
    if (typeof options !== 'object' || options === null) {
      throw new InvalidLockOptionsError([{ path: 'options', problem: 'must be an object with permits' }]);
    }
    assertPermitCounts(options.permits, 1);
    this.permits = options.permits;
  }

  private request(count: number): PrimitiveRequest {
    return { kind: 'semaphore', permits: this.permits, count };
  }

  /**
   * Waits (in the queue, per the retry options' time budget) for `count` permits and returns the
   * holding. The caller must `release()` it. Renewed only with `renewalEnabled: true`.
   *
   * @default count 1
   * @example
   * const permit = await api.acquire(1, { ttl: '10s' });
   * try { await partner.call(); } finally { await permit.release(); }
   */
  acquire(count = 1, options?: LockOptions): Promise<LockHandle> {
    return this.host.take(
      this.name,
      options,
      { reentrant: false, renew: false },
      false,
      this.request(count),
    ) as Promise<LockHandle>;
  }

  /**
   * One attempt at `count` permits, never waiting (and never ahead of queued requests): the
   * holding, or `null` when they are not free now.
   *
   * @default count 1
   * @example
   * const permit = await api.tryAcquire();
   * if (!permit) throw new TooManyRequestsException();
   */
  tryAcquire(count = 1, options?: LockOptions): Promise<LockHandle | null> {
    return this.host.take(this.name, options, { reentrant: false, renew: false }, true, this.request(count));
  }

  /**
   * Takes `count` permits, runs `fn(holding)`, gives them back, and returns `fn`'s result (or its
   * error). Renewed while `fn` runs (per `lock.renewalEnabled`).
   *
   * @example
   * const rows = await api.withPermits(2, () => partner.export());
   */
  async withPermits<T>(count: number, fn: (permit: LockHandle) => Promise<T> | T, options?: LockOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
    const defaults = { reentrant: false, renew: this.host.renewByDefault };
    const handle = (await this.host.take(this.name, options, defaults, false, this.request(count)))!;
    return this.host.runHeld([handle], () => fn(handle));
  }

  /**
   * One attempt at `count` permits; when granted runs `fn` and resolves `{ acquired: true, value }`,
   * otherwise `{ acquired: false, busyKey: name }` without running it (`@WithSemaphore` with
   * `onLocked: 'skip' | 'throw'` uses it).
   *
   * @example
   * const run = await api.tryWithPermits(1, () => partner.call());
   * if (!run.acquired) return { status: 429 };
   */
  async tryWithPermits<T>(
    count: number,
    fn: (permit: LockHandle) => Promise<T> | T,
    options?: LockOptions,
  ): Promise<TryRunResult<T>> {
    if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
    const defaults = { reentrant: false, renew: this.host.renewByDefault };
    const handle = await this.host.take(this.name, options, defaults, true, this.request(count));
    if (!handle) return { acquired: false, busyKey: this.name };
    return { acquired: true, value: await this.host.runHeld([handle], () => fn(handle)) };
  }

  /**
   * Permits free now (the limit as last set, or this object's `permits` when nobody holds any,
   * minus those held by live holders). Informational: another process may take them next.
   *
   * @example
   * metrics.gauge('partner_api_free', await api.available());
   */
  async available(): Promise<number> {
    const store = permitStoreOf(this.host.store, 'semaphore');
    const info = await store.inspectPermits(this.name, 'sem');
    return Math.max(0, (info.limit || this.permits) - info.used);
  }
}
