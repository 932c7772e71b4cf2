// Public API of @lynx-nest/redis-lock. Health (./health), metrics (./metrics) and testing
// (./testing) live behind subpath exports so this entry never imports Terminus or prom-client.
export { RedisLockModule } from './redis-lock.module.js';
export { REDIS_LOCK_MODULE_OPTIONS } from './redis-lock.module-definition.js';
export {
  REDIS_LOCK_CONFIG,
  LOCK_STORE,
  getLockServiceToken,
  DEFAULT_LOCK_SERVICE_NAME,
} from './redis-lock.constants.js';

export {
  RedisLockModuleOptions,
  LockDefaultsOptions,
  CircuitBreakerOptions,
  RetryStrategyOptions,
  PoolOptions,
  MonitoringOptions,
  LoggingOptions,
  ShutdownOptions,
  AdminOptions,
  RETRY_STRATEGY_TYPES,
  type RetryStrategyType,
} from './config/redis-lock-options.js';
export { OPTION_DEFAULTS } from './config/option-defaults.js';
export { parseDuration, type Duration } from './config/duration.js';
export { resolveModuleOptions } from './config/validate-options.js';
export { loadYamlConfig, MAX_YAML_CONFIG_BYTES, type YamlConfigLoadOptions } from './config/yaml-config.loader.js';
export {
  ReplicaWaitOptions,
  RedlockOptions,
  ClusterTopologyOptions,
  TOPOLOGY_MODES,
  type TopologyMode,
} from './config/topology-options.js';
export { TOPOLOGY_DEFAULTS } from './config/resolve-topology.js';
export type { ResolvedLockConfig } from './config/resolved-config.js';

export { LockService, type LockCallback } from './lock/lock.service.js';
export { LockHandle } from './lock/handles/lock-handle.js';
export { LOCK_KINDS, type LockKind } from './lock/lock-kind.js';
export { Semaphore, type SemaphoreOptions } from './lock/primitives/semaphore.js';
export { MAX_SEMAPHORE_PERMITS } from './lock/primitives/primitive-request.js';
export { WithSemaphore, type WithSemaphoreOptions } from './decorators/with-semaphore.decorator.js';
export { MultiLockHandle } from './lock/handles/multi-lock-handle.js';
export type { MultiLockCallback, TryRunResult } from './lock/multi-lock.js';
export { WithLock, type WithLockOptions, type OnLocked } from './decorators/with-lock.decorator.js';
export type { KeyValueEncoding, LockKeySource } from './decorators/lock-key-template.js';
export type { LockOptions, RetryDelayFunction } from './lock/lock-options.js';
export { DefaultRetryStrategy, retryDelay } from './lock/acquire/retry-delay.js';
export { currentLock } from './lock/lock-context.js';
export { LockEvents, type LockEventMap, type LockEventName } from './lock/lock-events.js';
export type { LockStatistics, LatencySummary, KindStatistics } from './lock/lock-statistics.js';
export {
  LOCK_INFO_KINDS,
  type LockInfo,
  type LockInfoBase,
  type LockInfoKind,
  type LockInfoOf,
  type LockHolderInfo,
  type MutexLockInfo,
  type ReadWriteLockInfo,
  type SemaphoreInfo,
  type LockHealthReport,
} from './lock/lock-info.js';

export type {
  LockStore,
  AcquireResult,
  StoredLockInfo,
  RenewRequest,
  AcquireManyResult,
  WaitsForEntry,
} from './store/lock-store.js';
export type { FairAcquireResult, StoreDiagnosis } from './store/lock-store.js';
export type { ReleaseEvent, ReleaseListener } from './store/release-event.js';
export {
  RW_PERMITS,
  supportsPermits,
  type PermitFamily,
  type PermitSpec,
  type PermitStore,
  type StoredPermitHolder,
  type StoredPermitInfo,
} from './store/permit-store.js';
export { FAIR_QUEUE_ENTRY_TTL_MS } from './lock/acquire/fair.js';
export { RedisLockStore, type RedisLockStoreOptions } from './store/redis-lock.store.js';
export { RedlockStore, type RedlockStoreOptions } from './store/redlock.store.js';
export { MemoryLockStore } from './store/memory-lock.store.js';
export {
  CircuitBreakerStore,
  circuitBreakerOf,
  unwrapStore,
  type CircuitBreakerState,
  type CircuitBreakerChange,
  type CircuitBreakerSettings,
  type CircuitBreakerStatus,
} from './store/circuit-breaker.store.js';
export type { RedisLikeClient } from './store/redis-client.js';
export { assertLockName } from './store/lock-keys.js';
export { maskAddress } from './store/scrub-secrets.js';

export * from './errors/index.js';
export {
  LockExceptionFilter,
  LOCK_EXCEPTION_FILTER_OPTIONS,
  type LockExceptionFilterOptions,
  type LockErrorResponseBody,
} from './http/lock-exception.filter.js';
