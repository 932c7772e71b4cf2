import type { ResolvedRetry } from '../../config/resolved-config.js';
import type { RetryDelayFunction } from '../lock-options.js';

/**
 * Delay before retry number `retry` (1-based): `fixed` waits `initialMs` every time, `linear`
 * `initialMs × retry`, `exponential_backoff` a random delay in [0, initialMs × multiplier^(retry-1)]
 * ("full jitter"), all capped at `maxMs`. A custom function is clamped to [0, maxMs].
 *
 * @example
 * retryDelay({ type: 'linear', initialMs: 100, maxMs: 1000, multiplier: 2, maxElapsedMs: 0, maxRetries: 3 }, 3); // 300
 */
export function retryDelay(
  retry: ResolvedRetry,
  attempt: number,
  custom?: RetryDelayFunction,
  random: () => number = Math.random,
): number {
  if (custom) {
    const value = Number(custom(attempt));
    return Number.isFinite(value) ? Math.min(Math.max(value, 0), retry.maxMs) : retry.initialMs;
  }
  switch (retry.type) {
    case 'fixed':
      return Math.min(retry.initialMs, retry.maxMs);
    case 'linear':
      return Math.min(retry.initialMs * attempt, retry.maxMs);
    default: {
      const ceiling = Math.min(retry.initialMs * retry.multiplier ** Math.min(attempt - 1, 64), retry.maxMs);
      return Math.round(random() * ceiling);
    }
  }
}

/**
 * The seed's `DefaultRetryStrategy`: exponential backoff with full jitter from 100 ms to 5 s,
 * doubling, at most 30 s in total.
 *
 * @example
 * await locks.lockWithOptions('k', { retryStrategy: DefaultRetryStrategy }, work);
 */
export const DefaultRetryStrategy = Object.freeze({
  type: 'exponential_backoff' as const,
  initialInterval: '100ms',
  maxInterval: '5s',
  multiplier: 2,
  maxElapsedTime: '30s',
});
