import { parseDuration } from '../config/duration.js';
import { MAX_DURATION_MS } from '../config/limits.js';
import { RETRY_STRATEGY_TYPES } from '../config/redis-lock-options.js';
import type { ResolvedLockConfig, ResolvedRetry } from '../config/resolved-config.js';
import { InvalidLockOptionsError, type OptionProblem } from '../errors/index.js';
import type { LockLostError } from '../errors/index.js';
import type { LockOptions, RetryDelayFunction } from './lock-options.js';
import { unsafeRanges } from '../store/lock-keys.js';
import { MIN_LOCK_TTL_MS, TTL_RANGE_PROBLEM } from './lock-validity.js';

/** Characters a `name` label must not contain: those lock names refuse (it reaches logs and metrics). */
const UNSAFE_LABEL = new RegExp(`[${unsafeRanges()}]`);

/** Per-call options after validation, in ms. */
export interface CallOptions {
  ttlMs: number;
  retry: ResolvedRetry;
  retryFn?: RetryDelayFunction;
  renew: boolean;
  renewalThreshold: number;
  maxHoldMs: number;
  reentrant: boolean;
  /** Wait in the fair queue (arrival order, direct hand-off) instead of racing on pub/sub wake-ups. */
  fair: boolean;
  /** Mint the fencing token inside the acquire (otherwise on the first `getFence()`). */
  fence: boolean;
  signal?: AbortSignal;
  label?: string;
  onLockLost?: (error: LockLostError) => void;
}

const KNOWN = new Set([
  'expiration',
  'ttl',
  'retryStrategy',
  'renewalEnabled',
  'renewalThreshold',
  'maxRetries',
  'retryInterval',
  'maxElapsedTime',
  'signal',
  'reentrant',
  'maxHoldTime',
  'name',
  'onLockLost',
  'fair',
  'fence',
  'mode',
]);

/** Validates a duration field; pushes a problem and returns undefined when bad. */
function duration(value: unknown, path: string, min: number, problems: OptionProblem[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < min || ms > MAX_DURATION_MS) {
    problems.push({
      path,
      problem: `must be a duration (ms number or string like '30s') between ${min} ms and ${MAX_DURATION_MS} ms`,
    });
    return undefined;
  }
  return ms;
}

function retryOf(
  strategy: LockOptions['retryStrategy'],
  base: ResolvedRetry,
  problems: OptionProblem[],
): { retry: ResolvedRetry; fn?: RetryDelayFunction } {
  if (strategy === undefined) return { retry: base };
  if (typeof strategy === 'function') return { retry: base, fn: strategy };
  if (typeof strategy === 'string') {
    if (!(RETRY_STRATEGY_TYPES as readonly string[]).includes(strategy)) {
      problems.push({ path: 'options.retryStrategy', problem: `must be one of ${RETRY_STRATEGY_TYPES.join(', ')}` });
      return { retry: base };
    }
    return { retry: { ...base, type: strategy === 'exponential' ? 'exponential_backoff' : strategy } };
  }
  if (typeof strategy !== 'object' || strategy === null) {
    problems.push({
      path: 'options.retryStrategy',
      problem: 'must be a strategy object, a strategy name or a function',
    });
    return { retry: base };
  }
  const retry = { ...base };
  if (strategy.type !== undefined) {
    if (!(RETRY_STRATEGY_TYPES as readonly string[]).includes(strategy.type)) {
      problems.push({
        path: 'options.retryStrategy.type',
        problem: `must be one of ${RETRY_STRATEGY_TYPES.join(', ')}`,
      });
    } else retry.type = strategy.type === 'exponential' ? 'exponential_backoff' : strategy.type;
  }
  retry.initialMs =
    duration(strategy.initialInterval, 'options.retryStrategy.initialInterval', 1, problems) ?? retry.initialMs;
  retry.maxMs = duration(strategy.maxInterval, 'options.retryStrategy.maxInterval', 1, problems) ?? retry.maxMs;
  retry.maxElapsedMs =
    duration(strategy.maxElapsedTime, 'options.retryStrategy.maxElapsedTime', 0, problems) ?? retry.maxElapsedMs;
  if (strategy.multiplier !== undefined) {
    if (
      typeof strategy.multiplier !== 'number' ||
      !Number.isFinite(strategy.multiplier) ||
      strategy.multiplier < 1 ||
      strategy.multiplier > 100
    ) {
      problems.push({ path: 'options.retryStrategy.multiplier', problem: 'must be a number from 1 to 100' });
    } else retry.multiplier = strategy.multiplier;
  }
  return { retry };
}

/**
 * Validates per-call {@link LockOptions} against the module defaults. Throws
 * {@link InvalidLockOptionsError} listing every bad field (`options.<field>`).
 *
 * @example
 * resolveCallOptions(config, { ttl: '5s' }, { reentrant: true, renew: true }).ttlMs; // 5000
 */
export function resolveCallOptions(
  config: ResolvedLockConfig,
  options: LockOptions | undefined,
  defaults: { reentrant: boolean; renew: boolean },
): CallOptions {
  if (options === undefined) {
    return {
      ttlMs: config.defaultTtlMs,
      retry: config.retry,
      renew: defaults.renew,
      renewalThreshold: config.renewal.threshold,
      maxHoldMs: config.maxHoldTimeMs,
      reentrant: defaults.reentrant,
      fair: config.fair,
      fence: config.fence,
    };
  }
  const problems: OptionProblem[] = [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidLockOptionsError([{ path: 'options', problem: 'must be an object' }]);
  }
  for (const field of Object.keys(options)) {
    if (!KNOWN.has(field)) problems.push({ path: `options.${field}`, problem: 'is not a known lock option' });
  }
  const ttlPath = options.expiration !== undefined ? 'options.expiration' : 'options.ttl';
  const ttlValue = options.expiration ?? options.ttl;
  const ttlParsed = ttlValue === undefined ? undefined : parseDuration(ttlValue);
  // A TTL at or below the drift margin leaves no validity: refused, with the reason.
  const ttlInRange = ttlParsed !== undefined && ttlParsed >= MIN_LOCK_TTL_MS && ttlParsed <= MAX_DURATION_MS;
  if (ttlValue !== undefined && !ttlInRange) {
    problems.push({ path: ttlPath, problem: TTL_RANGE_PROBLEM });
  }
  const ttlMs = ttlParsed ?? config.defaultTtlMs;
  const { retry, fn } = retryOf(options.retryStrategy, config.retry, problems);
  const interval = duration(options.retryInterval, 'options.retryInterval', 1, problems);
  if (interval !== undefined) retry.initialMs = interval;
  retry.maxElapsedMs = duration(options.maxElapsedTime, 'options.maxElapsedTime', 0, problems) ?? retry.maxElapsedMs;
  if (options.maxRetries !== undefined) {
    if (!Number.isInteger(options.maxRetries) || options.maxRetries < -1 || options.maxRetries > 1_000_000) {
      problems.push({ path: 'options.maxRetries', problem: 'must be an integer from -1 (unlimited) to 1000000' });
    } else retry.maxRetries = options.maxRetries;
  }
  if (retry.maxMs < retry.initialMs) retry.maxMs = retry.initialMs;
  const bool = (value: unknown, path: string) => {
    if (value !== undefined && typeof value !== 'boolean') problems.push({ path, problem: 'must be a boolean' });
    return value as boolean | undefined;
  };
  const renew = bool(options.renewalEnabled, 'options.renewalEnabled') ?? defaults.renew;
  const reentrant = bool(options.reentrant, 'options.reentrant') ?? defaults.reentrant;
  const fair = bool(options.fair, 'options.fair') ?? config.fair;
  const fence = bool(options.fence, 'options.fence') ?? config.fence;
  if (options.mode !== undefined && options.mode !== 'read' && options.mode !== 'write') {
    problems.push({
      path: 'options.mode',
      problem: "must be 'read' or 'write' (a read-write lock), or absent (a mutex)",
    });
  }
  let threshold = config.renewal.threshold;
  if (options.renewalThreshold !== undefined) {
    const t = options.renewalThreshold;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0.05 || t > 0.95) {
      problems.push({ path: 'options.renewalThreshold', problem: 'must be a number from 0.05 to 0.95' });
    } else threshold = t;
  }
  const maxHoldMs = duration(options.maxHoldTime, 'options.maxHoldTime', 1, problems) ?? config.maxHoldTimeMs;
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    problems.push({ path: 'options.signal', problem: 'must be an AbortSignal' });
  }
  if (
    options.name !== undefined &&
    (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 128)
  ) {
    problems.push({ path: 'options.name', problem: 'must be a non-empty string of at most 128 characters' });
  } else if (options.name !== undefined && UNSAFE_LABEL.test(options.name)) {
    problems.push({ path: 'options.name', problem: 'must not contain control, bidi or zero-width characters' });
  }
  if (options.onLockLost !== undefined && typeof options.onLockLost !== 'function') {
    problems.push({ path: 'options.onLockLost', problem: 'must be a function' });
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems);
  return {
    ttlMs,
    retry,
    retryFn: fn,
    renew,
    renewalThreshold: threshold,
    maxHoldMs,
    reentrant,
    fair,
    fence,
    signal: options.signal,
    label: options.name,
    onLockLost: options.onLockLost,
  };
}
