import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { Duration } from '../config/duration.js';
import { parseDuration } from '../config/duration.js';
import { MAX_DURATION_MS } from '../config/limits.js';
import type { ResolvedLockConfig } from '../config/resolved-config.js';
import {
  DeadlockError,
  InvalidLockOptionsError,
  LockError,
  LockNotHeldError,
  LockShutdownError,
  type LockLostReason,
} from '../errors/index.js';
import { LOCK_STORE, REDIS_LOCK_CONFIG } from '../redis-lock.constants.js';
import { circuitBreakerOf } from '../store/circuit-breaker.store.js';
import type { LockStore } from '../store/lock-store.js';
import { assertLockName } from '../store/lock-keys.js';
import { newOwnerToken, ownerInstance, redactToken } from '../store/owner-token.js';
import { acquireWithRetry, type Granted } from './acquire-loop.js';
import { DeadlockProbe } from './deadlock-probe.js';
import { lockContext } from './lock-context.js';
import { LockEvents } from './lock-events.js';
import { LockHandle, type HandleController, type HandleState } from './lock-handle.js';
import { HEALTH_PROBE_KEY, runLockHealthCheck } from './lock-health.check.js';
import type { LockHealthReport, LockInfo } from './lock-info.js';
import { LockLogger } from './lock-logger.js';
import type { LockOptions } from './lock-options.js';
import { lockServiceRegistry } from './lock-service.registry.js';
import { runWithLocks, type MultiLockCallback, type MultiLockHost, type TryRunResult } from './multi-lock.js';
import { StatisticsCollector, type LockStatistics } from './lock-statistics.js';
import { RenewalScheduler } from './renewal-scheduler.js';
import { resolveCallOptions, type CallOptions } from './resolve-call-options.js';
import { LockTracer } from '../tracing/lock-tracer.js';
import { supportsFairQueue } from './fair-acquire.js';

/** The callback of `withLock` and friends: receives the held lock, returns the result. */
export type LockCallback<T> = (lock: LockHandle) => Promise<T> | T;


const isLockName = (name: string): boolean => {
  try {
    assertLockName(name);
    return true;
  } catch {
    return false;
  }
};

/** `acquire` and `tryLock`: not reentrant, not renewed unless the options say so. */
const MANUAL_HANDLE = { reentrant: false, renew: false } as const;

/** Safety margin subtracted from a lock's validity: 1% of the TTL plus 2 ms (Redis expiry precision). */
const drift = (ttlMs: number) => Math.round(ttlMs * 0.01) + 2;

/**
 * The lock API. Inject it anywhere after importing `RedisLockModule.forRoot(...)`.
 *
 * - `withLock(key, fn, options?)`: the general form; reentrant within the callback's async tree.
 * - `lock`, `lockWithOptions`, `lockReentrant`: the seed's functions.
 * - `acquire`, `tryLock`: manual handles.
 *
 * @example
 * @Injectable()
 * export class Billing {
 *   constructor(private readonly locks: LockService) {}
 *   charge(orderId: string) {
 *     return this.locks.withLock(`order:${orderId}`, async (lock) => {
 *       await this.payments.charge(orderId, { fence: lock.fence });
 *     });
 *   }
 * }
 */
@Injectable()
export class LockService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown, HandleController
{
  /** Lock events (acquired, released, failed, retry, renewed, lost, ...). Metrics and statistics listen here. */
  readonly events = new LockEvents();
  private readonly logger: LockLogger;
  private readonly scheduler: RenewalScheduler;
  private readonly statistics: StatisticsCollector;
  private readonly tracer: LockTracer;
  private readonly running = new Set<Promise<unknown>>();
  private readonly lifecycle = { shuttingDown: false, isShuttingDown: () => this.lifecycle.shuttingDown, waiters: new Set<() => void>() };
  private healthTimer?: NodeJS.Timeout;
  private lastHealth?: 'up' | 'down';
  private probing = false;

  constructor(
    @Inject(REDIS_LOCK_CONFIG) readonly config: ResolvedLockConfig,
    @Inject(LOCK_STORE) private readonly store: LockStore,
  ) {
    this.logger = new LockLogger(config.logLevel);
    this.scheduler = new RenewalScheduler(
      store,
      {
        renewed: (h) => this.events.emit('renewed', { name: h.state.label, key: h.getKey(), ttlMs: h.state.ttlMs, heldMs: performance.now() - h.state.acquiredAt }),
        renewalFailed: (h, error) => {
          const message = error instanceof Error ? error.message : String(error);
          this.events.emit('renewalFailed', { name: h.state.label, key: h.getKey(), message });
          this.logger.warn(`Renewal of "${h.getKey()}" failed (will retry while the lock is valid): ${message}`);
        },
        lost: (h, reason) => this.lose(h, reason),
      },
      config.renewal.intervalMs,
    );
    this.statistics = new StatisticsCollector(this.events, () => this.scheduler.size);
    // tracing: spans fed by this.events (tracing/lock-tracer.ts)
    this.tracer = new LockTracer(this.events, { fair: config.fair, fairQueue: supportsFairQueue(store) });
    if (this.logger.debugEnabled) {
      this.events.on('renewed', (e) => this.logger.debug(`renewed "${e.key}" for ${e.ttlMs} ms (held ${e.heldMs.toFixed(1)} ms so far)`));
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
    return this.take(key, ttl === undefined ? options : { ...options, expiration: ttl }, MANUAL_HANDLE, false) as Promise<LockHandle>;
  }

  /**
   * Seed `TryLock(ctx, key, timeout)`: one attempt, never waits. Returns `null` when busy.
   *
   * @example
   * const lock = await locks.tryLock('cleanup', '5m');
   * if (!lock) return; // another instance is on it
   */
  tryLock(key: string, ttl?: Duration, options?: LockOptions): Promise<LockHandle | null> {
    return this.take(key, ttl === undefined ? options : { ...options, expiration: ttl }, MANUAL_HANDLE, true);
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
    return ((await runWithLocks(this.multiLockHost, keys, fn, options, false)) as { value: T }).value;
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
    return runWithLocks(this.multiLockHost, keys, fn, options, true);
  }

  /** @internal `@WithLock({ onLocked: 'skip' })` skipped a call: emits `skipped` (statistics and metrics count it). */
  noteSkipped(name: string, key: string): void {
    this.events.emit('skipped', { name, key });
  }

  // ---- monitoring ------------------------------------------------------------------------------

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
  async checkHealth(options?: { timeout?: Duration }): Promise<LockHealthReport> {
    const timeoutMs = options?.timeout === undefined ? undefined : parseDuration(options.timeout);
    if (options?.timeout !== undefined && (timeoutMs === undefined || timeoutMs < 1 || timeoutMs > MAX_DURATION_MS)) {
      throw new InvalidLockOptionsError([{ path: 'timeout', problem: `must be a duration between 1 ms and ${MAX_DURATION_MS} ms` }]);
    }
    return runLockHealthCheck({
      store: this.store,
      instanceId: this.config.instanceId,
      renewalLagMs: () => this.scheduler.lagMs,
      activeLocks: () => this.scheduler.size,
      errorRate: () => this.statistics.errorRate(),
      timeoutMs: timeoutMs ?? Math.max(1000, 3 * this.config.commandTimeoutMs),
      secrets: [this.config.connection.password],
    });
  }

  /**
   * The state of one lock in Redis: holder instance, hold count, TTL, fence.
   *
   * @example
   * const { held, owner, ttlMs } = await locks.inspect('job:report');
   */
  async inspect(key: string): Promise<LockInfo> {
    const name = assertLockName(key);
    const info = await this.store.inspect(name);
    return {
      key: name,
      held: info.held,
      ...(info.owner ? { owner: ownerInstance(info.owner) } : {}),
      heldByThisInstance: info.owner !== undefined && ownerInstance(info.owner) === this.config.instanceId,
      holdCount: info.holdCount,
      ttlMs: info.ttlMs,
      ...(info.fence !== undefined ? { fence: info.fence } : {}),
      waiters: info.waiters,
    };
  }

  /**
   * Locks held now whose name starts with `prefix` (SCAN over this module's key prefix only),
   * at most `limit` (1–1000), sorted by name. When more than `limit` match, which ones are returned
   * depends on the SCAN order.
   *
   * @default prefix '' (all), limit 100
   * @example
   * const busy = await locks.list('order:', 50);
   */
  async list(prefix = '', limit = 100): Promise<LockInfo[]> {
    if (typeof prefix !== 'string' || /[{}\x00-\x1f\x7f]/.test(prefix)) {
      throw new InvalidLockOptionsError([{ path: 'prefix', problem: 'must be a string without braces or control characters' }]);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidLockOptionsError([{ path: 'limit', problem: 'must be an integer from 1 to 1000' }]);
    }
    // The health probe's reserved name and names this module could not have written (another client's
    // keys under the same prefix) are skipped, not fatal; when they took slots, ask again for more (bounded).
    let names: string[] = [];
    for (let want = limit + 1; ; want = Math.min(want * 4, limit * 10 + 10)) {
      const found = await this.store.list(prefix, want);
      names = found.filter((n) => n !== HEALTH_PROBE_KEY && isLockName(n));
      if (names.length >= limit || found.length < want || want >= limit * 10 + 10) break;
    }
    names = names.slice(0, limit);
    const infos = await Promise.all(names.map((n) => this.inspect(n)));
    return infos.filter((info) => info.held);
  }

  /**
   * Deletes a lock whoever holds it. Refused unless `admin.enabled` is set; always logged.
   *
   * @example
   * await locks.forceRelease('stuck-job'); // with admin: { enabled: true }
   */
  async forceRelease(key: string): Promise<boolean> {
    const name = assertLockName(key);
    if (!this.config.adminEnabled) {
      this.logger.warn(`forceRelease("${name}") refused: admin.enabled is false`);
      throw new InvalidLockOptionsError([{ path: 'admin.enabled', problem: 'must be true to use forceRelease()' }]);
    }
    const existed = await this.store.forceRelease(name);
    this.logger.warn(`forceRelease("${name}"): ${existed ? 'deleted' : 'was not held'}`);
    return existed;
  }

  // ---- lifecycle (Lynx stages) -----------------------------------------------------------------

  /** Lynx "initialize resources": connect and load scripts. A Redis that is down is reported by health, not fatal. */
  async onModuleInit(): Promise<void> {
    if (this.config.poolConfigured) {
      this.logger.warn('pool.* settings are accepted for compatibility but have no effect: ioredis multiplexes one connection per client');
    }
    try {
      await this.store.init();
    } catch (error) {
      this.logger.warn(`Lock store not ready at start-up (locking will fail with LockBackendError until it is): ${(error as Error).message}`);
    }
  }

  /** Lynx "startup tasks": start the renewal watchdog and the periodic health probe. */
  onApplicationBootstrap(): void {
    this.scheduler.start();
    if (this.config.healthCheckIntervalMs > 0) {
      this.healthTimer = setInterval(() => void this.probeHealth(), this.config.healthCheckIntervalMs);
      this.healthTimer.unref();
    }
  }

  private async probeHealth(): Promise<void> {
    if (this.probing) return; // a slow check never overlaps the next one
    this.probing = true;
    try {
      const report = await this.checkHealth();
      if (report.status !== this.lastHealth) {
        if (report.status === 'down') this.logger.warn(`Lock backend is DOWN: ${report.reason}`);
        // Logged at warn level: whoever saw the DOWN line (default level WARN) must see the recovery too.
        else if (this.lastHealth) this.logger.warn('Lock backend is UP again');
        this.lastHealth = report.status;
      }
    } finally {
      this.probing = false;
    }
  }

  /**
   * Lynx "cleanup", first half: refuse new acquisitions, cancel waiters, give running critical
   * sections up to `shutdown.gracePeriod`, then release every lock still held.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.lifecycle.shuttingDown) return;
    this.lifecycle.shuttingDown = true;
    clearInterval(this.healthTimer);
    for (const wake of [...this.lifecycle.waiters]) wake();
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => (timer = setTimeout(resolve, this.config.shutdownGraceMs))),
      ]);
      clearTimeout(timer);
    }
    this.scheduler.stop();
    await Promise.allSettled(
      this.scheduler.held().map(async (handle) => {
        this.lose(handle, 'shutdown');
        await this.store.release(handle.getKey(), handle.getValue()).catch(() => undefined);
      }),
    );
  }

  /** Lynx "cleanup", second half: stop timers and close the connections this module created. */
  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    lockServiceRegistry.unregister(this.config.name, this);
    await this.store.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  private async run<T>(key: string, fn: LockCallback<T>, options: LockOptions | undefined, reentrant: boolean): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
    const handle = (await this.take(key, options, { reentrant, renew: this.config.renewal.enabled }, false))!;
    return this.runHeld([handle], () => fn(handle));
  }

  private multiHost?: MultiLockHost;
  /** What multi-lock.ts needs from this service; the service's state stays private. */
  private get multiLockHost(): MultiLockHost {
    return (this.multiHost ??= {
      config: this.config,
      take: (key, options, defaults, once) => this.take(key, options, defaults, once),
      heldByContext: (name) => lockContext.held(this, name) !== undefined,
      runHeld: (handles, fn) => this.runHeld(handles, fn),
      tryAtomic: async (names, options, defaults) => {
        if (!this.store.acquireMany) return undefined;
        const call = resolveCallOptions(this.config, options, defaults);
        if (this.lifecycle.shuttingDown) throw new LockShutdownError(names[0]);
        const owner = newOwnerToken(this.config.instanceId);
        const sentAt = performance.now();
        const result = await this.store.acquireMany(names, owner, call.ttlMs);
        if (!result) return undefined;
        if (!result.acquired) return { busy: names[result.busyIndex] };
        const waitMs = performance.now() - sentAt;
        return names.map((name, i) => this.grant(name, owner, { fence: result.fences[i], holdCount: 1, sentAt, attempts: 1, waitMs }, call, call.label ?? name));
      },
    });
  }

  /** Runs `fn` with `handles` held by the current context, releases them (reverse order), tracked for graceful shutdown. */
  private runHeld<T>(handles: LockHandle[], fn: () => Promise<T> | T): Promise<T> {
    const work = (async () => {
      try {
        // tracing: fn runs inside the hold span
        return await lockContext.run(this, handles, this.tracer.inHold(handles, fn));
      } finally {
        for (const handle of [...handles].reverse()) {
          await handle.release().catch((error: Error) => this.logger.warn(`Release of "${handle.getKey()}" failed; it expires by its TTL: ${error.message}`));
        }
      }
    })();
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return work;
  }

  private take(
    key: string,
    options: LockOptions | undefined,
    defaults: { reentrant: boolean; renew: boolean },
    once: boolean,
  ): Promise<LockHandle | null> {
    // tracing: one check when off; else the acquire span, in the caller's context, wraps takeLock
    if (!this.tracer.enabled()) return this.takeLock(key, options, defaults, once);
    return this.tracer.traceAcquire(key, options, once, () => this.takeLock(key, options, defaults, once));
  }

  private async takeLock(
    key: string,
    options: LockOptions | undefined,
    defaults: { reentrant: boolean; renew: boolean },
    once: boolean,
  ): Promise<LockHandle | null> {
    const started = performance.now();
    let label = typeof options?.name === 'string' ? options.name : typeof key === 'string' ? key : '(invalid)';
    try {
      const name = assertLockName(key);
      const call = resolveCallOptions(this.config, options, defaults);
      label = call.label ?? name;
      if (this.lifecycle.shuttingDown) throw new LockShutdownError(name);
      const parent = lockContext.held(this, name);
      if (parent) {
        if (once && !call.reentrant) return null; // held by this very context: busy, and tryLock never waits
        return await this.holdAgain(parent, call, label);
      }
      const owner = newOwnerToken(this.config.instanceId);
      const deadlock = once ? undefined : DeadlockProbe.create(this.store, name, lockContext.heldAll(this), call.retry.maxMs);
      const granted = await acquireWithRetry({ store: this.store, events: this.events, name, label, owner, call, once, lifecycle: this.lifecycle, deadlock, started });
      if (!granted) return null;
      return this.grant(name, owner, granted, call, label);
    } catch (error) {
      const reason = error instanceof LockError ? error.code : 'aborted';
      this.events.emit('failed', { name: label, key: typeof key === 'string' ? key : String(key), reason, waitMs: performance.now() - started });
      throw error;
    }
  }

  private grant(name: string, owner: string, granted: Granted, call: CallOptions, label: string): LockHandle {
    const state: HandleState = {
      ttlMs: call.ttlMs,
      expiresAt: granted.sentAt + call.ttlMs - drift(call.ttlMs),
      renewAt: granted.sentAt + call.ttlMs * call.renewalThreshold,
      acquiredAt: granted.sentAt,
      autoRenew: call.renew,
      renewalThreshold: call.renewalThreshold,
      maxHoldMs: call.maxHoldMs,
      label,
      status: 'held',
    };
    const handle = new LockHandle(name, owner, granted.fence, granted.holdCount, state, this);
    if (call.onLockLost) {
      const callback = call.onLockLost;
      handle.signal.addEventListener('abort', () => this.safely(() => callback(handle.signal.reason)), { once: true });
    }
    this.scheduler.add(handle);
    this.events.emit('acquired', { name: label, key: name, waitMs: granted.waitMs, attempts: granted.attempts, reentrant: false, fence: granted.fence });
    if (this.logger.debugEnabled) {
      this.logger.debug(`acquired "${name}" fence=${granted.fence} owner=${redactToken(owner)} after ${granted.waitMs.toFixed(1)} ms, ${granted.attempts} attempt(s)`);
    }
    return handle;
  }

  /** A reentrant hold of a lock the current context already holds. */
  private async holdAgain(parent: LockHandle, call: CallOptions, label: string): Promise<LockHandle> {
    const name = parent.getKey();
    const root = parent.parent ?? parent;
    if (!root.isHeld()) throw root.signal.reason ?? new LockNotHeldError(name, 'the enclosing lock is no longer held');
    if (!call.reentrant) {
      throw new DeadlockError([name], 'the current async context already holds this lock and the call is not reentrant (use withLock or lockReentrant)');
    }
    const sentAt = performance.now();
    const result = await this.store.acquire(name, root.getValue(), call.ttlMs, true);
    if (!result.acquired) {
      this.lose(root, 'refused');
      throw root.signal.reason;
    }
    root.state.expiresAt = Math.max(root.state.expiresAt, sentAt + call.ttlMs - drift(call.ttlMs));
    const state: HandleState = { ...root.state, expiresAt: Infinity, autoRenew: false, label, status: 'held' };
    const handle = new LockHandle(name, root.getValue(), result.fence, result.holdCount, state, this, root);
    this.events.emit('acquired', { name: label, key: name, waitMs: performance.now() - sentAt, attempts: 1, reentrant: true, fence: result.fence });
    return handle;
  }

  private lose(handle: LockHandle, reason: LockLostReason): void {
    const error = handle.markLost(reason);
    this.scheduler.remove(handle);
    if (!error) return;
    const label = handle.state.label;
    this.events.emit('lost', { name: label, key: handle.getKey(), reason, fence: handle.fence });
    if (reason === 'expired' || reason === 'max_hold_time') this.events.emit('expired', { name: label, key: handle.getKey() });
    if (reason !== 'shutdown') this.logger.warn(error.message);
    const callback = this.config.onLockLost;
    if (callback) this.safely(() => callback(error));
  }

  /** Runs a user callback; its errors (sync or async) are logged, never thrown into the event loop. */
  private safely(fn: () => unknown): void {
    try {
      const result = fn();
      if (result && typeof (result as Promise<unknown>).catch === 'function') {
        (result as Promise<unknown>).catch((e: Error) => this.logger.error(`onLockLost callback failed: ${e?.message ?? e}`));
      }
    } catch (e) {
      this.logger.error(`onLockLost callback failed: ${(e as Error)?.message ?? e}`);
    }
  }

  /** @internal HandleController */
  async renewHandle(handle: LockHandle, ttl?: Duration): Promise<void> {
    let ttlMs = handle.state.ttlMs;
    if (ttl !== undefined) {
      const parsed = parseDuration(ttl);
      if (parsed === undefined || parsed < 1 || parsed > MAX_DURATION_MS) {
        throw new InvalidLockOptionsError([{ path: 'ttl', problem: `must be a duration between 1 ms and ${MAX_DURATION_MS} ms` }]);
      }
      ttlMs = parsed;
    }
    const sentAt = performance.now();
    const ok = await this.store.renew(handle.getKey(), handle.getValue(), ttlMs);
    if (!ok) {
      this.lose(handle, 'refused');
      throw handle.signal.reason;
    }
    const s = handle.state;
    s.ttlMs = ttlMs;
    s.expiresAt = sentAt + ttlMs - drift(ttlMs);
    s.renewAt = sentAt + ttlMs * s.renewalThreshold;
    if (this.scheduler.has(handle)) this.scheduler.add(handle);
    this.events.emit('renewed', { name: s.label, key: handle.getKey(), ttlMs, heldMs: performance.now() - s.acquiredAt });
  }

  /** @internal HandleController */
  async releaseHandle(handle: LockHandle): Promise<boolean> {
    const s = handle.state;
    const wasHeld = s.status === 'held';
    if (wasHeld) s.status = 'released';
    this.scheduler.remove(handle);
    // lockAtLeastFor (@WithLock): a run that ends early leaves the lock in Redis until keepUntil (owner-checked PEXPIRE).
    const keepMs = wasHeld && !handle.parent && s.keepUntil !== undefined ? Math.ceil(s.keepUntil - performance.now()) : 0;
    const remaining =
      keepMs > 0 ? ((await this.store.renew(handle.getKey(), handle.getValue(), keepMs)) ? 0 : -1) : await this.store.release(handle.getKey(), handle.getValue());
    const expired = remaining < 0;
    if (expired && wasHeld && !handle.parent) {
      // Redis no longer had it: the lock was lost while the critical section ran (e.g. the process was
      // paused past the TTL and resumed before the watchdog noticed). Say so now, late but never not.
      s.status = 'held';
      this.lose(handle, 'expired');
    }
    const heldMs = performance.now() - s.acquiredAt;
    this.events.emit('released', { name: s.label, key: handle.getKey(), heldMs, expired, reentrant: handle.parent !== undefined, fence: handle.fence });
    if (this.logger.debugEnabled) {
      this.logger.debug(`released "${handle.getKey()}" fence=${handle.fence} after ${heldMs.toFixed(1)} ms held (holds left: ${remaining < 0 ? 'none, it had expired' : remaining})`);
    }
    return !expired;
  }

  /** @internal HandleController */
  async remainingTtl(handle: LockHandle): Promise<number> {
    const info = await this.store.inspect(handle.getKey());
    return info.held && info.owner === handle.getValue() ? Math.max(0, info.ttlMs) : 0;
  }
}
