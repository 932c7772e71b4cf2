import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { LockLostError } from '../errors/index.js';
import { unsafeRanges } from '../store/lock-keys.js';
import type { LockStore } from '../store/lock-store.js';
import type { RedisLikeClient } from '../store/redis-like-client.js';
import type { Duration } from './duration.js';
import { IsDuration } from './is-duration.validator.js';
import { MAX_DURATION_MS } from './limits.js';
import {
  ClusterTopologyOptions,
  RedlockOptions,
  ReplicaWaitOptions,
  TOPOLOGY_MODES,
  type TopologyMode,
} from './topology-options.js';

/** `keyPrefix`: no braces (hash slot), whitespace, or characters lock names refuse (they reach log lines). */
const SAFE_PREFIX = new RegExp(`^[^{}\\s${unsafeRanges()}]*$`);
/** `instanceId` (shown in logs and `inspect()`): no whitespace or characters lock names refuse. */
const SAFE_INSTANCE_ID = new RegExp(`^[^\\s${unsafeRanges()}]+$`);

/** Names accepted by `retryStrategy.type` (the seed's `exponential_backoff` plus `fixed` and `linear`). */
export const RETRY_STRATEGY_TYPES = ['fixed', 'linear', 'exponential_backoff', 'exponential'] as const;
/** A retry strategy name. `exponential` is an alias of `exponential_backoff`. */
export type RetryStrategyType = (typeof RETRY_STRATEGY_TYPES)[number];

/** Log levels of `logging.level`, the seed's names in any case. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'debug', 'info', 'warn', 'error'] as const;

/**
 * How long to wait between attempts while a lock is busy (`lynx.redis.lock.retry_strategy`).
 * Pub/sub wake-up makes most waits end sooner than these delays: a release wakes waiters at once.
 *
 * @example
 * { type: 'exponential_backoff', initialInterval: '50ms', maxInterval: '2s', multiplier: 1.5, maxElapsedTime: '30s' }
 */
export class RetryStrategyOptions {
  /** `fixed` (every delay = `initialInterval`), `linear` (n × initial) or `exponential_backoff` (full jitter). @default 'exponential_backoff' */
  @IsOptional()
  @IsIn(RETRY_STRATEGY_TYPES as unknown as string[])
  type?: RetryStrategyType;
  /** First delay. @default lock.defaultRetryInterval (100ms) */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  initialInterval?: Duration;
  /** Largest single delay. @default '5s' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  maxInterval?: Duration;
  /** Growth factor of `exponential_backoff`. @default 2 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(100)
  multiplier?: number;
  /** Give up waiting after this long in total. @default '30s' */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  maxElapsedTime?: Duration;
}

/**
 * The circuit breaker in front of the backend (`lynx.redis.lock.circuit_breaker`): after
 * `failureThreshold` consecutive backend failures, acquisitions fail at once with
 * `LockBackendError` instead of each waiting for the command timeout; a probe every
 * `resetTimeout` closes it again as soon as Redis answers. Held locks keep renewing while it is open.
 *
 * @example
 * { enabled: true, failureThreshold: 5, resetTimeout: '1s' }
 */
export class CircuitBreakerOptions {
  /** Use the breaker. @default true */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
  /** Consecutive backend failures that open it. @default 5 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  failureThreshold?: number;
  /** How long it stays open before a probe; also the probe period while open. @default '1s' */
  @IsOptional()
  @IsDuration(10, MAX_DURATION_MS)
  resetTimeout?: Duration;
}

/**
 * Lock defaults (`lynx.redis.lock`). Every per-call option falls back to these.
 *
 * @example
 * { defaultTimeout: '30s', defaultRetryInterval: '100ms', maxRetries: 3, renewalEnabled: true, renewalThreshold: 0.5, renewalInterval: '10s' }
 */
export class LockDefaultsOptions {
  /** TTL of a lock when the call gives none. @default '30s' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  defaultTimeout?: Duration;
  /** Delay between attempts for `fixed` retry, and the first delay of the others. @default '100ms' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  defaultRetryInterval?: Duration;
  /** Retries after the first attempt while the lock is busy; `-1` retries until `maxElapsedTime`. @default 3 */
  @IsOptional()
  @IsInt()
  @Min(-1)
  @Max(1_000_000)
  maxRetries?: number;
  /** Renew locks held through `withLock`/`lock*` automatically (watchdog). @default true */
  @IsOptional()
  @IsBoolean()
  renewalEnabled?: boolean;
  /** Renew once this fraction of the TTL has elapsed. @default 0.5 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.05)
  @Max(0.95)
  renewalThreshold?: number;
  /** Longest the watchdog sleeps between checks (it wakes sooner when a lock's TTL needs it). @default '10s' */
  @IsOptional()
  @IsDuration(10, MAX_DURATION_MS)
  renewalInterval?: Duration;
  /** Retry schedule while waiting. @default exponential_backoff from 100ms to 5s, ×2, 30s in total */
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryStrategyOptions)
  retryStrategy?: RetryStrategyOptions;
  /** Timeout of each Redis command of the lock path; kept below the TTL. @default '2s' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  commandTimeout?: Duration;
  /** Renewal stops after a lock was held this long, so a hung critical section cannot keep it forever. @default '30m' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  maxHoldTime?: Duration;
  /**
   * Waiters queue in Redis in arrival order and each release hands the lock straight to the next
   * one (see docs/fair-locking.md); `false` wakes every waiter on release to race for it. @default true
   */
  @IsOptional()
  @IsBoolean()
  fair?: boolean;
  /**
   * Mint every lock's fencing token inside the acquire, so `lock.fence` is set at once and
   * `getFence()` costs no round trip. `false` mints a token only when `getFence()` first asks for
   * it (the uncontended acquire is then one native `SET NX PX`); both are equally safe, see
   * docs/guide.md#fencing. @default false
   */
  @IsOptional()
  @IsBoolean()
  fence?: boolean;
  /** Circuit breaker in front of the backend. @default { enabled: true, failureThreshold: 5, resetTimeout: '1s' } */
  @IsOptional()
  @ValidateNested()
  @Type(() => CircuitBreakerOptions)
  circuitBreaker?: CircuitBreakerOptions;
}

/**
 * The seed's `lynx.redis.pool` settings. ioredis multiplexes one connection per client, so these are
 * validated and accepted but have no effect on connection count (a one-time warning says so).
 */
export class PoolOptions {
  /** Go pool's maximum active connections. Accepted, no effect with ioredis. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  maxActive?: number;
  /** Go pool's maximum idle connections. Accepted, no effect with ioredis. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  maxIdle?: number;
  /** Idle connection timeout. Accepted, no effect with ioredis. */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  idleTimeout?: Duration;
  /** Maximum connection lifetime. Accepted, no effect with ioredis. */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  maxConnLifetime?: Duration;
}

/** `lynx.redis.lock.monitoring`: metrics and periodic health probing. */
export class MonitoringOptions {
  /** Register the `lynx_redis_lock_*` Prometheus metrics. @default false */
  @IsOptional()
  @IsBoolean()
  enableMetrics?: boolean;
  /** Path the app serves metrics on (used by the demo's `PrometheusModule`). @default '/metrics' */
  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'must start with "/"' })
  metricsPath?: string;
  /** How often the background health probe runs; `0` disables it. @default '30s' */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  healthCheckInterval?: Duration;
}

/** `lynx.redis.lock.logging`. */
export class LoggingOptions {
  /** `DEBUG` logs every acquire/renew/release with timing; `WARN` (default) only problems. @default 'WARN' */
  @IsOptional()
  @IsIn(LOG_LEVELS as unknown as string[])
  level?: (typeof LOG_LEVELS)[number];
  /** Accepted for the seed's shape; metrics are switched by `monitoring.enableMetrics`. */
  @IsOptional()
  @IsBoolean()
  enableMetrics?: boolean;
}

/** Graceful shutdown. */
export class ShutdownOptions {
  /** How long shutdown waits for running critical sections before releasing their locks. @default '10s' */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  gracePeriod?: Duration;
}

/** Administrative operations. */
export class AdminOptions {
  /** Allow `forceRelease(key)`. @default false */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/**
 * Options of {@link RedisLockModule.forRoot}: the seed's `lynx.redis` section in camelCase plus
 * this library's own settings. Every field is optional; `forRoot({ addrs: ['127.0.0.1:6379'] })`
 * is enough.
 *
 * @example
 * RedisLockModule.forRoot({
 *   addrs: ['127.0.0.1:6379'],
 *   password: process.env.REDIS_PASSWORD,
 *   lock: { defaultTimeout: '30s', maxRetries: 5 },
 *   monitoring: { enableMetrics: true },
 * });
 */
export class RedisLockModuleOptions {
  /** Redis addresses, `host:port` or `redis://` / `rediss://` URLs. @default ['127.0.0.1:6379'] */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  addrs?: string[];
  /** Redis password (never logged). @default none */
  @IsOptional()
  @IsString()
  password?: string;
  /** Redis ACL user name. @default none */
  @IsOptional()
  @IsString()
  username?: string;
  /** Database index (single-node only). @default 0 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(15)
  db?: number;
  /** Use TLS: `true`, or Node `tls.connect` options (`ca`, `servername`, ...). @default false */
  @IsOptional()
  tls?: boolean | Record<string, unknown>;
  /** Topology: `single`, `sentinel`, `cluster` or `redlock`; see docs/topologies.md. @default inferred: `sentinels` → sentinel, one addr → single, several → cluster */
  @IsOptional()
  @IsIn(TOPOLOGY_MODES as unknown as string[])
  mode?: TopologyMode;
  /** Sentinel addresses (`host:port`); with `mode: 'sentinel'` and no `sentinels`, `addrs` are the sentinels. @default none */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  sentinels?: string[];
  /** Name of the master set Sentinel monitors. @default 'mymaster' */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  masterName?: string;
  /** Password of the Sentinels themselves (never logged). @default none */
  @IsOptional()
  @IsString()
  sentinelPassword?: string;
  /** ACL user of the Sentinels. @default none */
  @IsOptional()
  @IsString()
  sentinelUsername?: string;
  /** Wait for replicas to acknowledge each acquire (Redisson-style). @default off */
  @IsOptional()
  @ValidateNested()
  @Type(() => ReplicaWaitOptions)
  wait?: ReplicaWaitOptions;
  /** Redlock quorum settings (`mode: 'redlock'`). */
  @IsOptional()
  @ValidateNested()
  @Type(() => RedlockOptions)
  redlock?: RedlockOptions;
  /** ioredis Cluster failover settings (`mode: 'cluster'`). */
  @IsOptional()
  @ValidateNested()
  @Type(() => ClusterTopologyOptions)
  cluster?: ClusterTopologyOptions;
  /** The seed's pool settings (no effect with ioredis, see {@link PoolOptions}). */
  @IsOptional()
  @ValidateNested()
  @Type(() => PoolOptions)
  pool?: PoolOptions;
  /** Lock defaults. */
  @IsOptional()
  @ValidateNested()
  @Type(() => LockDefaultsOptions)
  lock?: LockDefaultsOptions;
  /** Metrics and health probing. */
  @IsOptional()
  @ValidateNested()
  @Type(() => MonitoringOptions)
  monitoring?: MonitoringOptions;
  /** Logging. */
  @IsOptional()
  @ValidateNested()
  @Type(() => LoggingOptions)
  logging?: LoggingOptions;
  /** Prefix of every Redis key this module writes; no braces. @default 'lynx:lock:' */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(SAFE_PREFIX, { message: 'must not contain braces, spaces, control, bidi or zero-width characters' })
  keyPrefix?: string;
  /** Graceful shutdown. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ShutdownOptions)
  shutdown?: ShutdownOptions;
  /** Administrative operations. */
  @IsOptional()
  @ValidateNested()
  @Type(() => AdminOptions)
  admin?: AdminOptions;
  /** Identifies this process in lock values and `inspect()`. @default `${hostname}:${pid}` */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  @Matches(SAFE_INSTANCE_ID, { message: 'must not contain spaces, control, bidi or zero-width characters' })
  instanceId?: string;
  /** Name of this module instance, for apps that register several (`@WithLock(..., { lockService: name })`). @default 'default' */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  name?: string;
  /** Reuse a client registered with `@liaoliaots/nestjs-redis` under this namespace. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  namespace?: string;
  /** An ioredis client the app owns (not closed by this module). */
  @IsOptional()
  @IsObject()
  client?: RedisLikeClient;
  /** A ready store instead of Redis (e.g. `new MemoryLockStore()` in unit tests). */
  @IsOptional()
  @IsObject()
  store?: LockStore;
  /** Called (never awaited, errors logged) whenever a held lock is lost. */
  @IsOptional()
  onLockLost?: (error: LockLostError) => void;
}
