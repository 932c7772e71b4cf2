import type { OptionProblem } from '../errors/index.js';
import { parseAddress } from '../store/redis-client.js';
import { parseDuration } from './duration.js';
import type { RedisLockModuleOptions } from './redis-lock-options.js';
import type { ResolvedConnection } from './resolved-config.js';
import type { TopologyMode } from './topology-options.js';

/** Defaults of the topology options, in one place. */
export const TOPOLOGY_DEFAULTS = {
  masterName: 'mymaster',
  wait: { replicas: 1, timeout: '200ms' },
  redlock: { driftFactor: 0.01 },
  cluster: {
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: '1s',
    slotsRefreshInterval: '5s',
  },
} as const;

/** Fewest independent masters Redlock accepts (a majority of fewer survives no failure). */
export const REDLOCK_MIN_NODES = 3;

type TopologyFields = Pick<
  ResolvedConnection,
  'mode' | 'sentinels' | 'masterName' | 'sentinelPassword' | 'sentinelUsername' | 'wait' | 'redlock' | 'cluster'
>;

/**
 * Picks the topology from the options (explicit `mode`, else inferred: `sentinels` → sentinel, one
 * address → single, several → cluster) and checks the fields that belong to it. Pushes every
 * conflict to `problems` (nothing is silently ignored) and returns the resolved fields.
 *
 * @example
 * resolveTopology({ addrs: ['a:6379', 'b:6379'] }, ['a:6379', 'b:6379'], 2000, []).mode; // 'cluster'
 */
export function resolveTopology(
  o: RedisLockModuleOptions,
  addrs: readonly string[],
  commandTimeoutMs: number,
  problems: OptionProblem[],
): TopologyFields {
  const explicitAddrs = (o.addrs?.length ?? 0) > 0;
  const mode: TopologyMode = o.mode ?? (o.sentinels?.length ? 'sentinel' : addrs.length > 1 ? 'cluster' : 'single');

  addrs.forEach((addr, i) => {
    try {
      parseAddress(addr);
    } catch (error) {
      problems.push({ path: `addrs[${i}]`, problem: (error as Error).message });
    }
  });

  let sentinels: string[] | undefined;
  if (mode === 'sentinel') {
    sentinels = o.sentinels?.length ? [...o.sentinels] : explicitAddrs ? [...addrs] : [];
    if (sentinels.length === 0)
      problems.push({
        path: 'sentinels',
        problem: "must list at least one Sentinel (host:port) when mode is 'sentinel'",
      });
    o.sentinels?.forEach((addr, i) => {
      try {
        parseAddress(addr);
      } catch (error) {
        problems.push({ path: `sentinels[${i}]`, problem: (error as Error).message });
      }
    });
  } else {
    if (o.sentinels?.length)
      problems.push({ path: 'sentinels', problem: `only applies to mode 'sentinel' (mode is '${mode}')` });
    for (const field of ['masterName', 'sentinelPassword', 'sentinelUsername'] as const) {
      if (o[field] !== undefined)
        problems.push({ path: field, problem: `only applies to mode 'sentinel' (mode is '${mode}')` });
    }
  }
  if (mode === 'single' && addrs.length > 1) {
    problems.push({
      path: 'addrs',
      problem: `mode 'single' takes one address, got ${addrs.length} (use mode 'cluster' or 'redlock')`,
    });
  }
  if (mode === 'cluster' && (o.db ?? 0) !== 0)
    problems.push({ path: 'db', problem: 'must be 0 in Redis Cluster (it has only database 0)' });
  if (mode !== 'cluster' && o.cluster !== undefined)
    problems.push({ path: 'cluster', problem: `only applies to mode 'cluster' (mode is '${mode}')` });
  if (mode !== 'redlock' && o.redlock !== undefined)
    problems.push({ path: 'redlock', problem: `only applies to mode 'redlock' (mode is '${mode}')` });
  if (mode === 'redlock') {
    if (o.client !== undefined || o.namespace !== undefined) {
      problems.push({
        path: 'mode',
        problem: "'redlock' creates one client per address in addrs; it cannot use `client` or `namespace`",
      });
    }
    if (new Set(addrs).size < REDLOCK_MIN_NODES) {
      problems.push({
        path: 'addrs',
        problem: `mode 'redlock' needs at least ${REDLOCK_MIN_NODES} distinct independent masters, got ${new Set(addrs).size}`,
      });
    }
  }

  let wait: TopologyFields['wait'];
  if (o.wait !== undefined) {
    const replicas = o.wait.replicas ?? TOPOLOGY_DEFAULTS.wait.replicas;
    const timeoutMs = parseDuration(o.wait.timeout ?? TOPOLOGY_DEFAULTS.wait.timeout) ?? 0;
    if (mode === 'redlock' && replicas > 0) {
      problems.push({
        path: 'wait',
        problem: "does not apply to mode 'redlock' (its masters have no replicas; the quorum is the safety)",
      });
    } else if (replicas > 0 && timeoutMs >= commandTimeoutMs) {
      problems.push({
        path: 'wait.timeout',
        problem: `must be below lock.commandTimeout (${commandTimeoutMs} ms), or the acquire times out before WAIT answers`,
      });
    }
    if (replicas > 0) wait = { replicas, timeoutMs };
  }

  const c = o.cluster ?? {};
  const dc = TOPOLOGY_DEFAULTS.cluster;
  return {
    mode,
    ...(sentinels ? { sentinels, masterName: o.masterName ?? TOPOLOGY_DEFAULTS.masterName } : {}),
    ...(o.sentinelPassword ? { sentinelPassword: o.sentinelPassword } : {}),
    ...(o.sentinelUsername ? { sentinelUsername: o.sentinelUsername } : {}),
    ...(wait ? { wait } : {}),
    ...(mode === 'redlock'
      ? { redlock: { driftFactor: o.redlock?.driftFactor ?? TOPOLOGY_DEFAULTS.redlock.driftFactor } }
      : {}),
    ...(mode === 'cluster'
      ? {
          cluster: {
            retryDelayOnFailover: c.retryDelayOnFailover ?? dc.retryDelayOnFailover,
            retryDelayOnClusterDown: c.retryDelayOnClusterDown ?? dc.retryDelayOnClusterDown,
            retryDelayOnTryAgain: c.retryDelayOnTryAgain ?? dc.retryDelayOnTryAgain,
            maxRedirections: c.maxRedirections ?? dc.maxRedirections,
            slotsRefreshTimeout: parseDuration(c.slotsRefreshTimeout ?? dc.slotsRefreshTimeout) as number,
            slotsRefreshInterval: parseDuration(c.slotsRefreshInterval ?? dc.slotsRefreshInterval) as number,
          },
        }
      : {}),
  };
}
