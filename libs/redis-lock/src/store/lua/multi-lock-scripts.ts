import { defineScript, LOCK_VALUE_LUA, type LuaScript } from './lock-scripts.js';

/**
 * Takes several locks at once, all or none (one node only: the keys of different locks live on
 * different Cluster slots, so the store uses this script on standalone / Sentinel deployments).
 * KEYS: lock and fence counter of each lock, in pairs. ARGV: owner, ttl ms, fence retention ms.
 * Each lock gets the same value and fence as the single-key ACQUIRE writes.
 * Returns {1, fence1, fence2, ...} or {0, index of the first busy lock (1-based), its pttl}.
 */
export const ACQUIRE_MANY: LuaScript = (() => {
  const body =
    LOCK_VALUE_LUA +
    `local n = #KEYS / 2
for i = 1, n do
  if redis.call('EXISTS', KEYS[2 * i - 1]) == 1 then
    return {0, i, redis.call('PTTL', KEYS[2 * i - 1])}
  end
end
local reply = {1}
for i = 1, n do
  local fence = mint(KEYS[2 * i], ARGV[3])
  redis.call('SET', KEYS[2 * i - 1], fence .. ' 1 0 ' .. ARGV[1], 'PX', ARGV[2])
  reply[i + 1] = fence
end
return reply`;
  // `keys` is the per-call count; ScriptRunner passes script.keys as numkeys, so callers use a copy with the real count.
  return defineScript('acquireMany', 0, body);
})();
