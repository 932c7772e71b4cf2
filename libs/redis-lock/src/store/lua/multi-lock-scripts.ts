import { defineScript, type LuaScript } from './lock-scripts.js';

/**
 * Takes several locks at once, all or none (one node only: the keys of different locks live on
 * different Cluster slots, so the store uses this script on standalone / Sentinel deployments).
 * KEYS: lock hash and fence counter of each lock, in pairs. ARGV: owner, ttl ms, fence retention ms.
 * Each lock gets the same hash and fence as the single-key ACQUIRE writes.
 * Returns {1, fence1, fence2, ...} or {0, index of the first busy lock (1-based), its pttl}.
 */
export const ACQUIRE_MANY: LuaScript = (() => {
  const body = `local n = #KEYS / 2
for i = 1, n do
  if redis.call('HGET', KEYS[2 * i - 1], 'o') then
    return {0, i, redis.call('PTTL', KEYS[2 * i - 1])}
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local reply = {1}
for i = 1, n do
  local last = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local fence = string.format('%.0f', math.max(last + 1, now))
  redis.call('SET', KEYS[2 * i], fence, 'PX', ARGV[3])
  redis.call('HSET', KEYS[2 * i - 1], 'o', ARGV[1], 'c', 1, 'f', fence)
  redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[2])
  reply[i + 1] = fence
end
return reply`;
  // `keys` is the per-call count; ScriptRunner passes script.keys as numkeys, so callers use a copy with the real count.
  return defineScript('acquireMany', 0, body);
})();
