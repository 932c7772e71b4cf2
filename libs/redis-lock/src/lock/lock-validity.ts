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
