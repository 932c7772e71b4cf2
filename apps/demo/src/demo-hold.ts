import { BadRequestException } from '@nestjs/common';

/**
 * Longest `?holdMs=` the demo accepts (a request holds its lock or permits that long).
 *
 * @default 10000
 * @example
 * parseHoldMs(String(MAX_HOLD_MS)); // 10000
 */
export const MAX_HOLD_MS = 10_000;

/**
 * Reads the `?holdMs=` query parameter of the demo's slow endpoints: how long the request keeps its
 * lock or permits, so concurrent requests visibly overlap (or queue) on the live page and in tests.
 * Throws `BadRequestException` (400) for anything but a whole number from 0 to {@link MAX_HOLD_MS}.
 *
 * @default fallback 0 (when the parameter is absent)
 * @example
 * parseHoldMs('250'); // 250
 * parseHoldMs(undefined, 300); // 300
 */
export function parseHoldMs(raw: string | undefined, fallback = 0): number {
  if (raw === undefined || raw === '') return fallback;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms > MAX_HOLD_MS) {
    throw new BadRequestException(`holdMs must be a whole number of milliseconds from 0 to ${MAX_HOLD_MS}`);
  }
  return ms;
}

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason as soon as `signal` aborts (the lock
 * or the permits were lost: stop working on the protected resource).
 *
 * @example
 * await pause(200, currentLock()!.signal);
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
