import { performance } from 'node:perf_hooks';
import type { LockStore } from '../store/lock-store.js';
import { newOwnerToken } from '../store/owner-token.js';
import { circuitBreakerOf } from '../store/circuit-breaker.store.js';
import { scrubMessage } from '../store/scrub-secrets.js';
import { RW_PERMITS, supportsPermits, type PermitSpec, type PermitStore } from '../store/permit-store.js';
import type { LockHealthReport } from './lock-info.js';

/**
 * Lock name the health probe acquires and releases, as a mutex and (when the store has permits) as
 * a read-write lock's reader; reserved (hidden from `list()`, every kind).
 */
export const HEALTH_PROBE_KEY = '__lynx_health_probe__';

/** TTL of the probe lock, so a probe whose release failed frees itself soon. */
const PROBE_TTL_MS = 5000;

/**
 * The permit probe takes one read of the probe name's read-write lock: readers share, so the probes
 * of many instances at once never find it busy, and a read shares the current fencing token instead
 * of minting one per check.
 */
const PROBE_PERMITS: PermitSpec = { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' };

/** A renewal watchdog running later than this is reported in `warnings`. */
export const RENEWAL_LAG_WARNING_MS = 1000;

/** A recent backend error rate at or above this (with at least 10 operations) is reported in `warnings`. */
export const ERROR_RATE_WARNING = 0.1;

/** What {@link runLockHealthCheck} needs from the lock service. */
export interface LockHealthDeps {
  store: LockStore;
  instanceId: string;
  renewalLagMs(): number;
  activeLocks(): number;
  errorRate(): { operations: number; errors: number; rate: number };
  /** Budget of the whole check; past it the report is `down` ("timed out"). */
  timeoutMs: number;
  /** Strings that must never appear in the report (the Redis password). */
  secrets?: readonly (string | undefined)[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * One read acquire/release of the probe name's read-write lock through the permit scripts (read-write
 * locks and semaphores run on scripts of their own, which a Redis restart drops like the others).
 */
async function probePermits(store: PermitStore, instanceId: string): Promise<void> {
  const owner = newOwnerToken(instanceId);
  try {
    const grant = await store.acquirePermits(HEALTH_PROBE_KEY, owner, PROBE_PERMITS, PROBE_TTL_MS, 0, false, false);
    if (grant.acquired) await store.releasePermits(HEALTH_PROBE_KEY, PROBE_PERMITS.family, owner);
  } catch (error) {
    throw new Error(`read-write lock and semaphore probe failed: ${(error as Error)?.message ?? String(error)}`);
  }
}

/**
 * The health check behind `LockService.checkHealth()` and `RedisLockHealthIndicator`: PING (the
 * store's command timeout applies), the Lua scripts cached on the server (loaded again when a
 * restart or failover dropped them), a probe acquire/release round trip on a reserved name (and,
 * when the store has read-write locks and semaphores, a read acquire/release of the same name through
 * the permit scripts), the renewal watchdog's lag and the recent backend error rate. Never throws: failures become
 * `{ status: 'down', reason }`. The report holds no credential or owner token.
 *
 * @example
 * const report = await runLockHealthCheck({ store, instanceId: 'api-1', renewalLagMs: () => 0, activeLocks: () => 0,
 *   errorRate: () => ({ operations: 0, errors: 0, rate: 0 }), timeoutMs: 2000 });
 */
export async function runLockHealthCheck(deps: LockHealthDeps): Promise<LockHealthReport> {
  const started = performance.now();
  const rate = deps.errorRate();
  const lag = Math.round(deps.renewalLagMs());
  const report: LockHealthReport = {
    status: 'up',
    store: deps.store.kind,
    renewalLagMs: lag,
    activeLocks: deps.activeLocks(),
    recentErrorRate: rate.rate,
    recentOperations: rate.operations,
    warnings: [],
    durationMs: 0,
  };
  if (lag > RENEWAL_LAG_WARNING_MS) {
    report.warnings.push(`renewal watchdog ran ${lag} ms late (event loop blocked?)`);
  }
  if (rate.operations >= 10 && rate.rate >= ERROR_RATE_WARNING) {
    report.warnings.push(
      `${Math.round(rate.rate * 100)}% of the last ${rate.operations} lock operations failed on the backend`,
    );
  }

  // Steps write into their own object, so a check that timed out cannot change the report afterwards.
  const found: Partial<LockHealthReport> = {};
  const steps = async () => {
    found.latencyMs = round2(await deps.store.ping());
    const diagnosis = await deps.store.diagnose?.('full');
    if (diagnosis?.scriptsLoaded !== undefined) {
      if (diagnosis.scriptsReloaded) found.scriptsReloaded = true;
      found.scriptsLoaded = diagnosis.scriptsLoaded;
      if (!diagnosis.scriptsLoaded) {
        throw new Error('the lock scripts are not cached on the server and could not be loaded');
      }
    }
    const owner = newOwnerToken(deps.instanceId);
    const probe = await deps.store.acquire(HEALTH_PROBE_KEY, owner, PROBE_TTL_MS, false);
    if (probe.acquired) await deps.store.release(HEALTH_PROBE_KEY, owner);
    found.probe = 'ok';
    const store = deps.store;
    if (supportsPermits(store)) {
      await probePermits(store, deps.instanceId);
      found.permitProbe = 'ok';
    }
  };
  const permits = supportsPermits(deps.store);

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deps.timeoutMs)));
  const work = steps().then(
    () => 'done' as const,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  const outcome = await Promise.race([work, timeout]);
  clearTimeout(timer);

  Object.assign(report, { ...found });
  if (outcome === 'timeout') {
    report.status = 'down';
    report.reason = `health check did not complete within ${deps.timeoutMs} ms`;
    if (report.probe === undefined) report.probe = 'failed';
    if (permits && report.permitProbe === undefined) report.permitProbe = 'failed';
  } else if (outcome instanceof Error) {
    report.status = 'down';
    // Store errors are LockBackendErrors, already scrubbed; scrub again for stores that are not ours.
    report.reason = scrubMessage(outcome.message, deps.secrets ?? []);
    const connection = (await deps.store.diagnose?.('connection').catch(() => undefined))?.connection;
    const status = connection?.status ?? 'ready';
    if (status !== 'ready') {
      const last = connection?.lastError;
      const lastError = last ? `; last error: ${scrubMessage(last, deps.secrets ?? [])}` : '';
      report.reason = `not connected to Redis (client ${status}${lastError}): ${report.reason}`;
    }
    // The mutex probe may have passed before the permit probe failed: each says how it went.
    if (report.probe === undefined) report.probe = 'failed';
    if (permits && report.permitProbe === undefined) report.permitProbe = 'failed';
  }
  const breaker = circuitBreakerOf(deps.store);
  if (breaker) {
    report.circuitBreaker = breaker.state;
    if (breaker.state !== 'closed')
      report.warnings.push(`circuit breaker is ${breaker.state}: new acquisitions fail at once`);
  }
  report.durationMs = round2(performance.now() - started);
  return report;
}
