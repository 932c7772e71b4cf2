import { performance } from 'node:perf_hooks';
import { MAX_DURATION_MS } from '../config/limits.js';
import type { AcquireResult, LockStore } from '../store/lock-store.js';

/**
 * Safety margin subtracted from a lock's validity: 1% of the TTL plus 2 ms (Redis expiry precision,
 * clock rate differences).
 *
 * @example
 * driftMs(30_000); // 302
 */
export const driftMs = (ttlMs: number): number => Math.round(ttlMs * 0.01) + 2;

/**
 * Monotonic time (ms, `performance.now()`) at which a lock taken or renewed with `ttlMs` by a
 * command sent at `sentAt` must be assumed gone: `sentAt + ttlMs - driftMs(ttlMs)`. Counting from
 * before the command was sent makes it never later than the expiry in Redis.
 *
 * @example
 * const expiresAt = validUntil(sentAt, 30_000); // sentAt + 29_698
 */
export const validUntil = (sentAt: number, ttlMs: number): number => sentAt + ttlMs - driftMs(ttlMs);

/**
 * The smallest TTL that leaves any validity after the drift margin (a TTL at or below
 * {@link driftMs} of itself, i.e. 1 or 2 ms, could never be used safely).
 *
 * @default 3
 * @example
 * if (ttlMs < MIN_LOCK_TTL_MS) throw new Error('TTL too short');
 */
export const MIN_LOCK_TTL_MS = 3;

/**
 * The problem reported for a TTL below {@link MIN_LOCK_TTL_MS} or above the longest duration.
 *
 * @example
 * problems.push({ path: 'options.ttl', problem: TTL_RANGE_PROBLEM });
 */
export const TTL_RANGE_PROBLEM =
  `must be a duration (ms number or string like '30s') between ${MIN_LOCK_TTL_MS} ms and ${MAX_DURATION_MS} ms ` +
  '(a lock is valid for its TTL minus a drift margin of 1% + 2 ms, which leaves nothing of 1–2 ms)';

/**
 * A "busy" answer standing for a grant that came too late: the attempt counts as not acquired.
 *
 * @example
 * if (!grantInTime(store, [name], owner, ttlMs, sentAt)) result = LATE_GRANT;
 */
export const LATE_GRANT: AcquireResult & { acquired: false } = {
  acquired: false,
  holderTtlMs: -1,
  heldBySelf: false,
  holderWaitsFor: null,
};

/**
 * Whether locks granted by a command sent at `sentAt` are still valid now (see {@link validUntil}),
 * and before `cap` when given (an in-process hand-off Redis has not confirmed yet is valid no longer
 * than the releaser's holding, see `ProvisionalHandOff`).
 * When the reply came after their validity ended they are no locks for the caller: they are given
 * back at once (owner-checked release, not awaited, sent behind the grant on the same connection)
 * so Redis does not keep them for the rest of their TTL (a fair hand-off gives a full one).
 *
 * @example
 * if (result.acquired && !grantInTime(store, [name], owner, ttlMs, sentAt)) return null;
 */
export function grantInTime(
  store: LockStore,
  names: readonly string[],
  owner: string,
  ttlMs: number,
  sentAt: number,
  cap = Infinity,
): boolean {
  if (performance.now() < Math.min(validUntil(sentAt, ttlMs), cap)) return true;
  for (const name of names) store.release(name, owner).catch(() => undefined);
  return false;
}
