import { defineScript, LOCK_VALUE_LUA } from './lock-scripts.js';

/**
 * Records (or withdraws) what the owner of a lock waits for: deadlock detection's wait-for edge.
 * KEYS: lock, wait record. ARGV: owner, waited lock name ('' withdraws), record lifetime ms.
 * Owner-checked, so a lock that expired and was taken by someone else is never touched. The record
 * is the string `"<waited name>\n<owner>"` with the given lifetime; readers ignore a record whose
 * owner is not the lock's current holder, so a stale one never blames the next holder.
 * Returns 1 when written, 0 when the owner no longer holds the lock.
 */
export const SET_WAITS_FOR = defineScript(
  'setWaitsFor',
  2,
  LOCK_VALUE_LUA +
    `local v = redis.call('GET', KEYS[1])
if not v or select(4, parse(v)) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
  return 1
end
redis.call('SET', KEYS[2], ARGV[2] .. '\\n' .. ARGV[1], 'PX', ARGV[3])
return 1`,
);

/** What the holder of a lock waits for. KEYS: lock, wait record. Returns the waited name, or nil (none, expired, or another owner's). */
export const WAITS_FOR = defineScript(
  'waitsFor',
  2,
  LOCK_VALUE_LUA +
    `local v = redis.call('GET', KEYS[1])
if not v then return false end
return waits_of(KEYS[2], select(4, parse(v)))`,
);
