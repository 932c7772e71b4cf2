import { hostname } from 'node:os';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { InvalidLockOptionsError, type OptionProblem } from '../errors/index.js';
import { parseDuration } from './duration.js';
import { OPTION_DEFAULTS } from './option-defaults.js';
import { RedisLockModuleOptions } from './redis-lock-options.js';
import type { ResolvedConnection, ResolvedLockConfig } from './resolved-config.js';
import { resolveTopology } from './resolve-topology.js';
import { MIN_LOCK_TTL_MS, TTL_RANGE_PROBLEM } from '../lock/lock-validity.js';

/** Fields that hold live objects or functions: validated by hand, never copied by class-transformer. */
const LIVE_FIELDS = ['client', 'store', 'onLockLost', 'tls'] as const;

function flatten(errors: ValidationError[], parent = ''): OptionProblem[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      path,
      problem:
        rule === 'whitelistValidation'
          ? 'is not a known option (check its spelling and nesting)'
          : message.replace(new RegExp(`^${error.property}\\s*`), ''),
    }));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

function checkLiveFields(input: Record<string, unknown>): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const { client, store, onLockLost, tls } = input;
  if (
    client !== undefined &&
    (typeof client !== 'object' || client === null || typeof (client as { evalsha?: unknown }).evalsha !== 'function')
  ) {
    problems.push({ path: 'client', problem: 'must be an ioredis client (Redis or Cluster instance)' });
  }
  if (
    store !== undefined &&
    (typeof store !== 'object' || store === null || typeof (store as { acquire?: unknown }).acquire !== 'function')
  ) {
    problems.push({ path: 'store', problem: 'must implement the LockStore contract' });
  }
  if (onLockLost !== undefined && typeof onLockLost !== 'function') {
    problems.push({ path: 'onLockLost', problem: 'must be a function' });
  }
  if (
    tls !== undefined &&
    typeof tls !== 'boolean' &&
    (typeof tls !== 'object' || tls === null || Array.isArray(tls))
  ) {
    problems.push({ path: 'tls', problem: 'must be a boolean or an object of TLS options' });
  }
  return problems;
}

const ms = (value: unknown, fallback: string | number): number => parseDuration(value ?? fallback) as number;

/**
 * Validates module options and fills in every default. Throws {@link InvalidLockOptionsError}
 * listing every bad field with its dotted path; never partially applies a bad configuration.
 *
 * @example
 * const config = resolveModuleOptions({ lock: { defaultTimeout: '10s' } });
 * config.defaultTtlMs; // 10_000
 */
export function resolveModuleOptions(input: unknown, source = 'redis-lock module options'): ResolvedLockConfig {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidLockOptionsError([{ path: '(root)', problem: 'must be an object' }], source);
  }
  const raw = input as Record<string, unknown>;
  const plain: Record<string, unknown> = { ...raw };
  for (const field of LIVE_FIELDS) delete plain[field];

  const instance = plainToInstance(RedisLockModuleOptions, plain);
  const problems = [
    ...flatten(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false })),
    ...checkLiveFields(raw),
  ];

  const o = raw as RedisLockModuleOptions;
  const d = OPTION_DEFAULTS;
  const lock = o.lock ?? {};
  const retry = lock.retryStrategy ?? {};
  let topology: Pick<ResolvedConnection, 'mode'> = { mode: 'single' };
  if (problems.length === 0) {
    const ttl = ms(lock.defaultTimeout, d.lock.defaultTimeout);
    const commandTimeout = ms(lock.commandTimeout, d.lock.commandTimeout);
    topology = resolveTopology(o, o.addrs && o.addrs.length > 0 ? o.addrs : d.addrs, commandTimeout, problems);
    if (ttl < MIN_LOCK_TTL_MS) {
      problems.push({ path: 'lock.defaultTimeout', problem: TTL_RANGE_PROBLEM });
    } else if (commandTimeout >= ttl) {
      problems.push({
        path: 'lock.commandTimeout',
        problem: `must be below lock.defaultTimeout (${ttl} ms), so a call never outlives its lock`,
      });
    }
    const initial = ms(retry.initialInterval ?? lock.defaultRetryInterval, d.lock.defaultRetryInterval);
    if (ms(retry.maxInterval, d.lock.retryStrategy.maxInterval) < initial) {
      problems.push({
        path: 'lock.retryStrategy.maxInterval',
        problem: `must not be below the initial interval (${initial} ms)`,
      });
    }
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems, source);

  const type = retry.type ?? d.lock.retryStrategy.type;
  return {
    name: o.name ?? d.name,
    instanceId: o.instanceId ?? `${hostname()}:${process.pid}`,
    keyPrefix: o.keyPrefix ?? d.keyPrefix,
    defaultTtlMs: ms(lock.defaultTimeout, d.lock.defaultTimeout),
    retry: {
      type: type === 'exponential' ? 'exponential_backoff' : type,
      initialMs: ms(retry.initialInterval ?? lock.defaultRetryInterval, d.lock.defaultRetryInterval),
      maxMs: ms(retry.maxInterval, d.lock.retryStrategy.maxInterval),
      multiplier: retry.multiplier ?? d.lock.retryStrategy.multiplier,
      maxElapsedMs: ms(retry.maxElapsedTime, d.lock.retryStrategy.maxElapsedTime),
      maxRetries: lock.maxRetries ?? d.lock.maxRetries,
    },
    renewal: {
      enabled: lock.renewalEnabled ?? d.lock.renewalEnabled,
      threshold: lock.renewalThreshold ?? d.lock.renewalThreshold,
      intervalMs: ms(lock.renewalInterval, d.lock.renewalInterval),
    },
    commandTimeoutMs: ms(lock.commandTimeout, d.lock.commandTimeout),
    maxHoldTimeMs: ms(lock.maxHoldTime, d.lock.maxHoldTime),
    fair: lock.fair ?? d.lock.fair,
    fence: lock.fence ?? d.lock.fence,
    circuitBreaker: {
      enabled: lock.circuitBreaker?.enabled ?? d.lock.circuitBreaker.enabled,
      failureThreshold: lock.circuitBreaker?.failureThreshold ?? d.lock.circuitBreaker.failureThreshold,
      resetTimeoutMs: ms(lock.circuitBreaker?.resetTimeout, d.lock.circuitBreaker.resetTimeout),
    },
    shutdownGraceMs: ms(o.shutdown?.gracePeriod, d.shutdown.gracePeriod),
    healthCheckIntervalMs: ms(o.monitoring?.healthCheckInterval, d.monitoring.healthCheckInterval),
    enableMetrics: o.monitoring?.enableMetrics ?? d.monitoring.enableMetrics,
    metricsPath: o.monitoring?.metricsPath ?? d.monitoring.metricsPath,
    logLevel: (o.logging?.level ?? d.logging.level).toLowerCase() as ResolvedLockConfig['logLevel'],
    adminEnabled: o.admin?.enabled ?? d.admin.enabled,
    poolConfigured: o.pool !== undefined && Object.keys(o.pool).length > 0,
    connection: {
      addrs: o.addrs && o.addrs.length > 0 ? [...o.addrs] : [...d.addrs],
      password: o.password || undefined,
      username: o.username || undefined,
      db: o.db ?? d.db,
      tls: o.tls,
      namespace: o.namespace,
      client: o.client,
      store: o.store,
      ...topology,
    },
    onLockLost: o.onLockLost,
  };
}
