import type { LockLostError } from '../errors/index.js';
import type { LockStore } from '../store/lock-store.js';
import type { RedisLikeClient } from '../store/redis-like-client.js';
import type { RetryStrategyType } from './redis-lock-options.js';
import type { TopologyMode } from './topology-options.js';

/** Connection settings after validation (secrets stay here, never in logs). */
export interface ResolvedConnection {
  addrs: string[];
  password?: string;
  username?: string;
  db: number;
  tls?: boolean | Record<string, unknown>;
  namespace?: string;
  client?: RedisLikeClient;
  store?: LockStore;
  /** Topology, explicit or inferred (see `resolveTopology`). */
  mode: TopologyMode;
  /** Sentinel addresses (`mode: 'sentinel'`). */
  sentinels?: string[];
  /** Sentinel master set name. */
  masterName?: string;
  sentinelPassword?: string;
  sentinelUsername?: string;
  /** WAIT after acquire; absent = off. */
  wait?: { replicas: number; timeoutMs: number };
  /** Redlock drift factor (`mode: 'redlock'`). */
  redlock?: { driftFactor: number };
  /** ioredis Cluster failover settings, in ms (`mode: 'cluster'`). */
  cluster?: ResolvedClusterSettings;
}

/** ioredis Cluster settings after defaults. */
export interface ResolvedClusterSettings {
  retryDelayOnFailover: number;
  retryDelayOnClusterDown: number;
  retryDelayOnTryAgain: number;
  maxRedirections: number;
  slotsRefreshTimeout: number;
  slotsRefreshInterval: number;
}

/** Retry schedule in milliseconds. */
export interface ResolvedRetry {
  type: Exclude<RetryStrategyType, 'exponential'>;
  initialMs: number;
  maxMs: number;
  multiplier: number;
  maxElapsedMs: number;
  maxRetries: number;
}

/** The module's options after validation, with every default filled in and every duration in ms. */
export interface ResolvedLockConfig {
  name: string;
  instanceId: string;
  keyPrefix: string;
  defaultTtlMs: number;
  retry: ResolvedRetry;
  renewal: { enabled: boolean; threshold: number; intervalMs: number };
  commandTimeoutMs: number;
  maxHoldTimeMs: number;
  /** Default of `LockOptions.fair`: wait in the fair queue with direct hand-off. */
  fair: boolean;
  /** Default of `LockOptions.fence`: mint the fencing token inside the acquire. */
  fence: boolean;
  /** Circuit breaker in front of the backend (see `CircuitBreakerStore`). */
  circuitBreaker: { enabled: boolean; failureThreshold: number; resetTimeoutMs: number };
  shutdownGraceMs: number;
  healthCheckIntervalMs: number;
  enableMetrics: boolean;
  metricsPath: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  adminEnabled: boolean;
  poolConfigured: boolean;
  connection: ResolvedConnection;
  onLockLost?: (error: LockLostError) => void;
}
