import { createHash } from 'node:crypto';

/** A constant Lua script and its SHA1 (for EVALSHA). Bodies never contain user input. */
export interface LuaScript {
  readonly name: string;
  readonly body: string;
  readonly sha: string;
  readonly keys: number;
}

/**
 * Defines a constant Lua script: its body, its SHA1 for EVALSHA and how many of its arguments are keys.
 *
 * @example
 * const PING = defineScript('ping', 0, "return redis.call('PING')");
 */
export const defineScript = (name: string, keys: number, body: string): LuaScript => ({
  name,
  keys,
  body,
  sha: createHash('sha1').update(body).digest('hex'),
});

/**
 * Acquire. A reentrant hold only ever extends the TTL, never shortens the outer hold's.
 * KEYS: lock hash, fence counter. ARGV: owner, ttl ms, reentrant ('1'/'0'), fence retention ms.
 * The lock is a hash {o = owner, c = hold count, f = fence}. A first acquisition mints the fence as
 * max(last + 1, server TIME in µs), so tokens keep rising even after the counter was lost (restart
 * without persistence, failover) as long as the server clock does not step back.
 * Returns {1, fence, holds} or {0, holder pttl, held by this owner (1/0), what the holder waits for}.
 * The last element is the holder's unexpired wait record (fields w = waited name, wx = expiry in
 * server ms; written by SET_WAITS_FOR in deadlock-scripts.ts) or nil: deadlock detection learns
 * the holder's wait with no extra round trip.
 */
export const ACQUIRE = defineScript(
  'acquire',
  2,
  `local owner = redis.call('HGET', KEYS[1], 'o')
if not owner then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  local fence = string.format('%.0f', math.max(last + 1, now))
  redis.call('SET', KEYS[2], fence, 'PX', ARGV[4])
  redis.call('HSET', KEYS[1], 'o', ARGV[1], 'c', 1, 'f', fence)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, fence, 1}
end
if owner == ARGV[1] and ARGV[3] == '1' then
  local holds = redis.call('HINCRBY', KEYS[1], 'c', 1)
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return {1, redis.call('HGET', KEYS[1], 'f'), holds}
end
local w = redis.call('HMGET', KEYS[1], 'w', 'wx')
if w[1] then
  local t = redis.call('TIME')
  if tonumber(w[2]) < tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then w[1] = false end
end
return {0, redis.call('PTTL', KEYS[1]), owner == ARGV[1] and 1 or 0, w[1]}`,
);

/**
 * Release one hold. KEYS: lock hash. ARGV: owner, release channel.
 * Returns holds left (0 = deleted and waiters notified) or -1 when the owner does not hold it.
 */
export const RELEASE = defineScript(
  'release',
  1,
  `if redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return -1 end
local holds = redis.call('HINCRBY', KEYS[1], 'c', -1)
if holds > 0 then return holds end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '1')
return 0`,
);

/** Owner-checked renewal. KEYS: lock hash. ARGV: owner, ttl ms. Returns 1 or 0. */
export const RENEW = defineScript(
  'renew',
  1,
  `if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`,
);

/** Inspect. KEYS: lock hash. Returns {owner or false, holds, fence, pttl}. */
export const INSPECT = defineScript(
  'inspect',
  1,
  `local v = redis.call('HMGET', KEYS[1], 'o', 'c', 'f')
return {v[1], v[2], v[3], redis.call('PTTL', KEYS[1])}`,
);

/** Force release. KEYS: lock hash. ARGV: release channel. Returns 1 when a lock was deleted. */
export const FORCE_RELEASE = defineScript(
  'forceRelease',
  1,
  `local n = redis.call('DEL', KEYS[1])
if n > 0 then redis.call('PUBLISH', ARGV[1], '1') end
return n`,
);

/** Every script, for loading at start-up and for health checks. */
export const LOCK_SCRIPTS: readonly LuaScript[] = [ACQUIRE, RELEASE, RENEW, INSPECT, FORCE_RELEASE];
