import { defineScript } from './lock-scripts.js';

/**
 * Records (or withdraws) what the owner of a lock waits for: deadlock detection's wait-for edge.
 * KEYS: lock hash. ARGV: owner, waited lock name ('' withdraws), record lifetime ms.
 * Owner-checked, so a lock that expired and was taken by someone else is never touched. The record
 * lives in the lock's own hash (fields w, wx = expiry in server ms), so it vanishes with the lock.
 * Returns 1 when written, 0 when the owner no longer holds the lock.
 */
export const SET_WAITS_FOR = defineScript(
  'setWaitsFor',
  1,
  `if redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'w', 'wx')
  return 1
end
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'w', ARGV[2], 'wx', string.format('%.0f', until_ms))
return 1`,
);

/** What the holder of a lock waits for. KEYS: lock hash. Returns the waited name, or nil (none or expired). */
export const WAITS_FOR = defineScript(
  'waitsFor',
  1,
  `local w = redis.call('HMGET', KEYS[1], 'w', 'wx')
if not w[1] then return false end
local t = redis.call('TIME')
if tonumber(w[2]) < tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then return false end
return w[1]`,
);
