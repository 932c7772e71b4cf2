import { createHash } from 'node:crypto';
import { defineScript, type LuaScript } from './lock-scripts.js';

/**
 * The Redis keys of a lock's fair queue; they share the lock's hash tag (one Cluster slot).
 * `queue` is a sorted set of owner tokens scored by arrival number; `waiters` is a hash of
 * owner token → `"<deadline ms, server clock>:<ttl ms>"` plus the arrival counter in field `#`.
 *
 * @example
 * fairQueueKeys('lynx:lock:{job}'); // { queue: 'lynx:lock:{job}:q', waiters: 'lynx:lock:{job}:qw' }
 */
export function fairQueueKeys(lockKey: string): { queue: string; waiters: string } {
  return { queue: `${lockKey}:q`, waiters: `${lockKey}:qw` };
}

/**
 * Lua shared by the fair scripts. KEYS: 1 lock hash, 2 fence counter, 3 queue (zset), 4 waiter
 * info (hash). `take` mints the fence exactly like the ACQUIRE script; `hand_off` drops expired
 * waiters from the head of the queue and makes the first live one the owner, then PUBLISHes
 * `g:<fence>:<sha1(owner)>` so that waiter holds the lock without an acquire round trip of its own
 * (the owner token is a secret, so only its hash goes on the channel).
 */
const COMMON = `local function take(owner, ttl, t, retention)
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  local fence = string.format('%.0f', math.max(last + 1, now))
  redis.call('SET', KEYS[2], fence, 'PX', math.max(tonumber(retention), tonumber(ttl)))
  redis.call('HSET', KEYS[1], 'o', owner, 'c', 1, 'f', fence)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return fence
end
local function now_ms(t)
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function live_info(member, nowms)
  local info = redis.call('HGET', KEYS[4], member)
  if not info then return nil end
  local sep = string.find(info, ':', 1, true)
  if tonumber(string.sub(info, 1, sep - 1)) <= nowms then return nil end
  return string.sub(info, sep + 1)
end
local function drop(member)
  redis.call('ZREM', KEYS[3], member)
  redis.call('HDEL', KEYS[4], member)
end
local function tidy()
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[4]) end
end
local function hand_off(t, channel, retention)
  local nowms = now_ms(t)
  while true do
    local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if not head then
      redis.call('DEL', KEYS[4])
      return false
    end
    local ttl = live_info(head, nowms)
    drop(head)
    if ttl then
      local fence = take(head, ttl, t, retention)
      tidy()
      redis.call('PUBLISH', channel, 'g:' .. fence .. ':' .. redis.sha1hex(head))
      return true
    end
  end
end
`;

/**
 * Acquire through the fair queue. KEYS: lock, fence, queue, waiter info.
 * ARGV: 1 owner, 2 ttl ms, 3 (unused, '0'), 4 fence retention ms, 5 queue entry ttl ms, 6 mode
 * ('f' = wait in the queue, 't' = try once without queueing), 7 release channel.
 * A free lock goes to the caller only when no live waiter is ahead of it; when one is, the lock is
 * handed to that waiter (as a release would) and the caller queues behind it. A busy lock queues
 * (or refreshes) the caller with a deadline of now + queue entry ttl.
 * Returns {1, fence, holds, handedOff (1 when an earlier release already made the caller the owner)}
 * or {0, holder pttl (-1 unknown), 0, 0, what the holder waits for (its unexpired `w` record, see
 * deadlock-scripts.ts) or nil}.
 */
export const ACQUIRE_FAIR = defineScript(
  'acquireFair',
  4,
  COMMON +
    `local owner = redis.call('HGET', KEYS[1], 'o')
if owner == ARGV[1] then
  return {1, redis.call('HGET', KEYS[1], 'f'), tonumber(redis.call('HGET', KEYS[1], 'c')), 1}
end
local t = redis.call('TIME')
if not owner then
  if redis.call('EXISTS', KEYS[3]) == 0 then
    return {1, take(ARGV[1], ARGV[2], t, ARGV[4]), 1, 0}
  end
  local nowms = now_ms(t)
  local mine = false
  while true do
    local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if not head then break end
    if head == ARGV[1] then
      mine = true
      break
    end
    if live_info(head, nowms) then break end
    drop(head)
  end
  local head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not head or mine then
    drop(ARGV[1])
    tidy()
    return {1, take(ARGV[1], ARGV[2], t, ARGV[4]), 1, 0}
  end
  hand_off(t, ARGV[7], ARGV[4])
end
local pttl = redis.call('PTTL', KEYS[1])
local w = redis.call('HMGET', KEYS[1], 'w', 'wx')
if w[1] and tonumber(w[2]) < now_ms(t) then w[1] = false end
if ARGV[6] ~= 'f' then return {0, pttl, 0, 0, w[1]} end
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then
  redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[4], '#', 1), ARGV[1])
end
local qttl = tonumber(ARGV[5])
redis.call('HSET', KEYS[4], ARGV[1], (now_ms(t) + qttl) .. ':' .. ARGV[2])
if redis.call('PTTL', KEYS[3]) < qttl then redis.call('PEXPIRE', KEYS[3], qttl) end
if redis.call('PTTL', KEYS[4]) < qttl then redis.call('PEXPIRE', KEYS[4], qttl) end
return {0, pttl, 0, 0, w[1]}`,
);

/**
 * Release one hold; on the last one, hand the lock to the first live waiter of the fair queue
 * (publishing its grant), or, when nobody queues, publish a plain release for pub/sub waiters.
 * KEYS: lock, fence, queue, waiter info. ARGV: owner, release channel, fence retention ms.
 * Returns holds left (0 = released or handed off) or -1 when the owner does not hold it.
 */
export const RELEASE_FAIR = defineScript(
  'releaseFair',
  4,
  COMMON +
    `if redis.call('HGET', KEYS[1], 'o') ~= ARGV[1] then return -1 end
local holds = redis.call('HINCRBY', KEYS[1], 'c', -1)
if holds > 0 then return holds end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 1 and hand_off(redis.call('TIME'), ARGV[2], ARGV[3]) then return 0 end
redis.call('PUBLISH', ARGV[2], '1')
return 0`,
);

/**
 * A waiter gives up: leave the queue, or, when a release already handed it the lock, release it
 * to the next waiter. KEYS: lock, fence, queue, waiter info. ARGV: owner, release channel, fence
 * retention ms. Returns 1 when it had been handed the lock, else 0.
 */
export const LEAVE_FAIR_QUEUE = defineScript(
  'leaveFairQueue',
  4,
  COMMON +
    `if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if not (redis.call('EXISTS', KEYS[3]) == 1 and hand_off(redis.call('TIME'), ARGV[2], ARGV[3])) then
    redis.call('PUBLISH', ARGV[2], '1')
  end
  return 1
end
drop(ARGV[1])
tidy()
return 0`,
);

/** Count of live waiters in the fair queue. KEYS: queue, waiter info (as KEYS 3 and 4 would be). */
export const COUNT_FAIR_WAITERS = defineScript(
  'countFairWaiters',
  2,
  `local n = 0
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local info = redis.call('HGET', KEYS[2], member)
  if info and tonumber(string.sub(info, 1, string.find(info, ':', 1, true) - 1)) > nowms then n = n + 1 end
end
return n`,
);

/** The fair-queue scripts, loaded with the others at start-up. */
export const FAIR_LOCK_SCRIPTS: readonly LuaScript[] = [ACQUIRE_FAIR, RELEASE_FAIR, LEAVE_FAIR_QUEUE, COUNT_FAIR_WAITERS];

/**
 * SHA-1 of an owner token: how a hand-off grant names the new owner on the release channel (see
 * {@link parseGrant}) without publishing the token itself.
 *
 * @example
 * parseGrant(message)?.digest === grantDigest(myToken); // this grant is mine
 */
export function grantDigest(owner: string): string {
  return createHash('sha1').update(owner).digest('hex');
}

/**
 * Parses a release-channel message: a hand-off grant `g:<fence>:<sha1(owner)>`, or `undefined`
 * for a plain release.
 *
 * @example
 * parseGrant('g:17:ab…'); // { fence: 17, digest: 'ab…' }
 */
export function parseGrant(message: string | undefined): { fence: number; digest: string } | undefined {
  if (!message || !message.startsWith('g:')) return undefined;
  const cut = message.indexOf(':', 2);
  if (cut < 0) return undefined;
  return { fence: Number(message.slice(2, cut)), digest: message.slice(cut + 1) };
}
