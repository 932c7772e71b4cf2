import {
  Inject,
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
import { LockHandleController } from './handles/handle-controller.js';
import { HealthProbe } from './health-probe.js';
import { LockEvents } from './lock-events.js';
import type { LockHandle } from './handles/lock-handle.js';
import type { LockHealthReport, LockInfo, LockInfoKind, LockInfoOf } from './lock-info.js';
import { LockLogger } from './lock-logger.js';
import type { LockOptions } from './lock-options.js';
import { lockServiceRegistry, type RegisteredLockService } from './lock-service.registry.js';
import { StatisticsCollector, type LockStatistics } from './lock-statistics.js';
import type { SemaphoreHost } from './primitives/semaphore.js';
import { ShutdownCoordinator } from './shutdown.js';

/**
 * What every \`LockService\` has besides its locking API: the wiring (handle controller, shutdown
 * coordinator, admin, health probe, statistics), monitoring and administration (\`getStatistics\`,
 * \`checkHealth\`, \`inspect\`, \`list\`, \`forceRelease\`) and the Lynx plugin stages on Nest's hooks
 * (initialize: \`onModuleInit\`; start: \`onApplicationBootstrap\`; cleanup: \`beforeApplicationShutdown\`,
 * \`onApplicationShutdown\`). Use it through {@link LockService}; it is not a provider of its own.
 *
 * @example
 * const { activeLocks } = locks.getStatistics(); // a LockServiceBase member, on every LockService
 */
export abstract class LockServiceBase
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  /** Lock events (acquired, released, failed, retry, renewed, lost, ...). Metrics and statistics listen here. */
  readonly events = new LockEvents();
  protected readonly logger: LockLogger;
  protected readonly statistics: StatisticsCollector;
  protected readonly shutdown: ShutdownCoordinator;
  protected readonly handles: LockHandleController;
  protected readonly admin: LockAdmin;
  protected readonly health: HealthProbe;
  protected readonly semaphoreHost: SemaphoreHost;

  constructor(
    @Inject(REDIS_LOCK_CONFIG) readonly config: ResolvedLockConfig,
    @Inject(LOCK_STORE) protected readonly store: LockStore,
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
    // Every LockService is a RegisteredLockService (its subclass has the API @WithLock calls).
    lockServiceRegistry.register(config.name, this as unknown as RegisteredLockService);
    circuitBreakerOf(store)?.onStateChange((change) => this.events.emit('breaker', change));
  }

  /** This process's instance id (the first part of every owner token it writes). */
  get instanceId(): string {
    return this.config.instanceId;
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
    lockServiceRegistry.unregister(this.config.name, this as unknown as RegisteredLockService);
    await this.store.close();
  }

  // ---- internals: taking locks (acquire/racing.ts, acquire/fair.ts); held locks are handles/ --------

  protected async run<T>(
    key: string,
    fn: (lock: LockHandle) => Promise<T> | T,
    options: LockOptions | undefined,
    reentrant: boolean,
  ): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
    const handle = (await this.handles.take(key, options, { reentrant, renew: this.config.renewal.enabled }, false))!;
    return this.handles.runHeld([handle], () => fn(handle));
  }
}
