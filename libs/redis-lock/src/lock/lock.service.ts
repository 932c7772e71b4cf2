import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Duration } from '../config/duration.js';
import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockOptionsError } from '../errors/index.js';
import { LOCK_STORE, REDIS_LOCK_CONFIG } from '../redis-lock.constants.js';
import { circuitBreakerOf } from '../store/circuit-breaker.store.js';
import type { LockStore } from '../store/lock-store.js';
import { LockAdmin } from './admin.js';
import { LockHandleController } from './handle-controller.js';
import { HealthProbe } from './health-probe.js';
import { LockEvents } from './lock-events.js';
import type { LockHandle } from './lock-handle.js';
import type { LockKind } from './lock-kind.js';
import type { LockHealthReport, LockInfo, LockInfoKind, LockInfoOf } from './lock-info.js';
import { LockLogger } from './lock-logger.js';
import type { LockOptions } from './lock-options.js';
import { lockServiceRegistry } from './lock-service.registry.js';
import { runWithLocks, type MultiLockCallback, type TryRunResult } from './multi-lock.js';
import { StatisticsCollector, type LockStatistics } from './lock-statistics.js';
import { ShutdownCoordinator } from './shutdown.js';
import { Semaphore, type SemaphoreHost, type SemaphoreOptions } from './primitives/semaphore.js';

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
 *
 * Held locks are managed by `LockHandleController` (handle-controller.ts), shutdown by
 * `ShutdownCoordinator` (shutdown.ts), inspection by `LockAdmin` (admin.ts), health by `HealthProbe`.
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
export class LockService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  /** Lock events (acquired, released, failed, retry, renewed, lost, ...). Metrics and statistics listen here. */
  readonly events = new LockEvents();
  private readonly logger: LockLogger;
  private readonly statistics: StatisticsCollector;
  private readonly shutdown: ShutdownCoordinator;
  private readonly handles: LockHandleController;
  private readonly admin: LockAdmin;
  private readonly health: HealthProbe;
  private readonly semaphoreHost: SemaphoreHost;

  constructor(
    @Inject(REDIS_LOCK_CONFIG) readonly config: ResolvedLockConfig,
    @Inject(LOCK_STORE) private readonly store: LockStore,
  ) {
    this.logger = new LockLogger(config.logLevel);
    this.shutdown = new ShutdownCoordinator(config.shutdownGraceMs);
    this.handles = new LockHandleController(store, config, this.events, this.logger, this.shutdown);
    const scheduler = this.handles.scheduler;
    const handles = this.handles;
    this.semaphoreHost = {
      store,
      renewByDefault: config.renewal.enabled,
      take: (key, options, defaults, once, request) => handles.take(key, options, defaults, once, request),
      runHeld: (held, fn) => handles.runHeld(held, fn),
    };
    this.statistics = new StatisticsCollector(this.events, () => scheduler.size);
    this.admin = new LockAdmin(store, config, this.logger);
    const healthDeps = {
      store,
      instanceId: config.instanceId,
      renewalLagMs: () => scheduler.lagMs,
      activeLocks: () => scheduler.size,
      errorRate: () => this.statistics.errorRate(),
      secrets: [config.connection.password, config.connection.sentinelPassword],
    };
    const healthTimeoutMs = Math.max(1000, 3 * config.commandTimeoutMs);
    this.health = new HealthProbe(() => healthDeps, this.logger, config.healthCheckIntervalMs, healthTimeoutMs);
    if (this.logger.debugEnabled) {
      this.events.on('renewed', (e) =>
        this.logger.debug(`renewed "${e.key}" for ${e.ttlMs} ms (held ${e.heldMs.toFixed(1)} ms so far)`),
      );
    }
    lockServiceRegistry.register(config.name, this);
    circuitBreakerOf(store)?.onStateChange((change) => this.events.emit('breaker', change));
  }

  /** This process's instance id (the first part of every owner token it writes). */
  get instanceId(): string {
    return this.config.instanceId;
  }

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

  // ---- monitoring and administration (admin.ts, health-probe.ts) ------------------------------------

  /**
   * Seed `GetStatistics()`: counters since start-up. No Redis call.
   *
   * @example
   * const { activeLocks, totalAcquired, totalReleased } = locks.getStatistics();
   */
  getStatistics(): LockStatistics {
    return this.statistics.snapshot();
  }

  /**
   * Seed `CheckHealth()`: PING, scripts cached (reloaded when missing), a probe acquire/release on a
   * reserved name, watchdog lag and the recent backend error rate. Resolves `{ status: 'down', reason }`
   * instead of throwing, also when the whole check takes longer than `timeout`. No secret is included.
   *
   * @default timeout max(1 s, 3 × lock.commandTimeout)
   * @example
   * const { status, reason, warnings } = await locks.checkHealth({ timeout: '2s' });
   */
  checkHealth(options?: { timeout?: Duration }): Promise<LockHealthReport> {
    return this.health.check(options);
  }

  /**
   * The state of one lock in Redis, without owner tokens. `kind` picks which of the name's locks:
   * the `mutex` (holder instance, hold count, TTL, fence, waiters), the `read-write` lock (also
   * `readers`, `writer` and each holder by instance id) or the `semaphore` (also `permits: { limit,
   * used, free }` and each holder). Read-write locks and semaphores need a store with permits (not
   * Redlock): otherwise `InvalidLockOptionsError`.
   *
   * @default kind 'mutex'
   * @example
   * const { held, owner, ttlMs } = await locks.inspect('job:report');
   * const { readers, writer, waiters } = await locks.inspect('catalog', 'read-write');
   * const { permits } = await locks.inspect('partner-api', 'semaphore'); // { limit: 4, used: 3, free: 1 }
   */
  inspect<K extends LockInfoKind = 'mutex'>(key: string, kind?: K): Promise<LockInfoOf<K>> {
    return this.admin.inspect(key, kind) as Promise<LockInfoOf<K>>;
  }

  /**
   * Locks held now whose name starts with `prefix` (SCAN over this module's key prefix only), every
   * kind: mutexes, and read-write locks and semaphores when the store has permits. At most `limit`
   * (1–1000) in all, sorted by name, then kind (`mutex`, `read-write`, `semaphore`). When more than
   * `limit` match, which ones are returned depends on the SCAN order.
   *
   * @default prefix '' (all), limit 100
   * @example
   * const busy = await locks.list('order:', 50);
   * const semaphores = busy.filter((info) => info.kind === 'semaphore');
   */
  list(prefix = '', limit = 100): Promise<LockInfo[]> {
    return this.admin.list(prefix, limit);
  }

  /**
   * Deletes a lock whoever holds it. Refused unless `admin.enabled` is set; always logged.
   *
   * @example
   * await locks.forceRelease('stuck-job'); // with admin: { enabled: true }
   */
  forceRelease(key: string): Promise<boolean> {
    return this.admin.forceRelease(key);
  }

  // ---- lifecycle (Lynx stages; shutdown.ts) ---------------------------------------------------------

  /** Lynx "initialize resources": connect and load scripts. A Redis that is down is reported by health, not fatal. */
  async onModuleInit(): Promise<void> {
    if (this.config.poolConfigured) {
      this.logger.warn(
        'pool.* settings are accepted for compatibility but have no effect: ioredis multiplexes one connection per client',
      );
    }
    try {
      await this.store.init();
    } catch (error) {
      this.logger.warn(
        `Lock store not ready at start-up (locking will fail with LockBackendError until it is): ${(error as Error).message}`,
      );
    }
  }

  /** Lynx "startup tasks": start the renewal watchdog and the periodic health probe. */
  onApplicationBootstrap(): void {
    this.handles.scheduler.start();
    this.health.start();
  }

  /**
   * Lynx "cleanup", first half: refuse new acquisitions, cancel waiters, give running critical
   * sections up to `shutdown.gracePeriod`, then release every lock still held.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.health.stop();
    const scheduler = this.handles.scheduler;
    await this.shutdown.shutDown(
      () => scheduler.held(),
      () => scheduler.stop(),
      (handle) => {
        this.handles.lose(handle, 'shutdown');
        return this.handles.storeOf(handle).release(handle.getKey(), handle.getValue());
      },
    );
  }

  /** Lynx "cleanup", second half: stop timers and close the connections this module created. */
  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    this.shutdown.closed = true;
    lockServiceRegistry.unregister(this.config.name, this);
    await this.store.close();
  }

  // ---- internals: taking locks (acquire-loop.ts); held locks are the controller's --------------------

  private async run<T>(
    key: string,
    fn: LockCallback<T>,
    options: LockOptions | undefined,
    reentrant: boolean,
  ): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
    const handle = (await this.handles.take(key, options, { reentrant, renew: this.config.renewal.enabled }, false))!;
    return this.handles.runHeld([handle], () => fn(handle));
  }
}
