import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import type { Duration } from './duration.js';
import { IsDuration } from './is-duration.validator.js';
import { MAX_DURATION_MS } from './limits.js';

/**
 * Redis topologies the module can talk to (`mode`). When `mode` is not set it is inferred:
 * `sentinels` given → `sentinel`; one address in `addrs` → `single`; several → `cluster`.
 * `redlock` is never inferred (independent masters look like a cluster's seed list).
 */
export const TOPOLOGY_MODES = ['single', 'sentinel', 'cluster', 'redlock'] as const;
/** One of {@link TOPOLOGY_MODES}. */
export type TopologyMode = (typeof TOPOLOGY_MODES)[number];

/**
 * Replication safety (`wait`): after every successful acquire, send `WAIT replicas timeout` in the
 * same pipeline, on the same connection, as the acquire. When fewer than `replicas` replicas
 * acknowledge the write within `timeout`, the lock is released again and the acquire fails with
 * `LockBackendError`. Off unless set. Costs one extra reply and up to the replication delay per
 * acquire (roughly one replica round trip; the full `timeout` when a replica is behind).
 *
 * @example
 * RedisLockModule.forRoot({ mode: 'sentinel', sentinels: ['s1:26379'], masterName: 'mymaster', wait: { replicas: 1, timeout: '200ms' } });
 */
export class ReplicaWaitOptions {
  /** Replicas that must acknowledge the lock write. `0` turns the check off. @default 1 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  replicas?: number;
  /** How long `WAIT` blocks at most; must be below `lock.commandTimeout`. @default '200ms' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  timeout?: Duration;
}

/**
 * Redlock settings (`mode: 'redlock'`): `addrs` are independent masters (no replication between
 * them); a lock needs a majority of them.
 *
 * @example
 * RedisLockModule.forRoot({ mode: 'redlock', addrs: ['r1:6379', 'r2:6379', 'r3:6379'], redlock: { driftFactor: 0.01 } });
 */
export class RedlockOptions {
  /** Clock drift allowance as a fraction of the TTL; validity = TTL − elapsed − (TTL × driftFactor + 2 ms). @default 0.01 */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(0.5)
  driftFactor?: number;
}

/**
 * ioredis Cluster settings that decide how a Cluster failover is ridden out. Keep
 * `retryDelayOnFailover × maxRedirections` above the servers' `cluster-node-timeout`; a single lock
 * command still gives up after `lock.commandTimeout` (`LockBackendError`), and callers retry.
 *
 * @example
 * RedisLockModule.forRoot({ addrs: ['n1:6379', 'n2:6379', 'n3:6379'], cluster: { retryDelayOnFailover: 300 } });
 */
export class ClusterTopologyOptions {
  /** Delay before re-sending a command whose node went away (ms). @default 200 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  retryDelayOnFailover?: number;
  /** Delay before re-sending after `CLUSTERDOWN` (ms). @default 200 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  retryDelayOnClusterDown?: number;
  /** Delay before re-sending after `TRYAGAIN` (ms). @default 100 */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  retryDelayOnTryAgain?: number;
  /** Redirections (MOVED/ASK/failover retries) per command. @default 16 */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxRedirections?: number;
  /** Timeout of `CLUSTER SLOTS` when refreshing the slot map. @default '1s' */
  @IsOptional()
  @IsDuration(1, MAX_DURATION_MS)
  slotsRefreshTimeout?: Duration;
  /** Periodic slot map refresh, `0` = only on MOVED/failure. @default '5s' */
  @IsOptional()
  @IsDuration(0, MAX_DURATION_MS)
  slotsRefreshInterval?: Duration;
}
