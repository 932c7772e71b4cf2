import { describe, expect, it } from 'vitest';
import type { ResolvedRetry } from '../../config/resolved-config.js';
import { retryDelay } from './retry-delay.js';

const base: ResolvedRetry = {
  type: 'fixed',
  initialMs: 100,
  maxMs: 1000,
  multiplier: 2,
  maxElapsedMs: 30_000,
  maxRetries: 3,
};

describe('retryDelay', () => {
  it('fixed waits the interval every time', () => {
    expect([1, 2, 5].map((n) => retryDelay(base, n))).toEqual([100, 100, 100]);
  });
  it('linear grows by the interval and is capped', () => {
    expect([1, 3, 20].map((n) => retryDelay({ ...base, type: 'linear' }, n))).toEqual([100, 300, 1000]);
  });
  it('exponential uses full jitter under a doubling, capped ceiling', () => {
    const r = { ...base, type: 'exponential_backoff' as const };
    expect(retryDelay(r, 1, undefined, () => 1)).toBe(100);
    expect(retryDelay(r, 3, undefined, () => 1)).toBe(400);
    expect(retryDelay(r, 30, undefined, () => 1)).toBe(1000);
    expect(retryDelay(r, 3, undefined, () => 0.5)).toBe(200);
    expect(retryDelay(r, 3, undefined, () => 0)).toBe(0);
  });
  it('a custom function is clamped to [0, max]', () => {
    expect(retryDelay(base, 1, () => 5000)).toBe(1000);
    expect(retryDelay(base, 1, () => -3)).toBe(0);
    expect(retryDelay(base, 1, () => Number.NaN)).toBe(100);
  });
});
