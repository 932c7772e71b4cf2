import { defineScript, LOCK_PARSE_LUA, LOCK_VALUE_LUA, LOCK_VALUE_REST_LUA, type LuaScript } from './lock-scripts.js';

/**
 * Lua shared by the release and fair-queue scripts (after {@link LOCK_VALUE_LUA}; a script with a
 * cheap common case runs that case first and defines these, and LOCK_VALUE_REST_LUA, after it).
 * Every helper takes the lock's keys as its first parameter `k` (see {@link FAIR_KEYS_LUA}):
 * `k.lock`, `k.fence` (counter), `k.queue` (zset) and `k.waiters` (hash). `take` writes a new
 * holding exactly like the ACQUIRE script, minting its token; `hand_off` pops expired waiters from
 * the head of the queue and makes the first live one the owner (overwriting the lock; marked
 * waited-for, so its release looks at the queue again), then PUBLISHes and returns the grant
 * `g:<fence>:<sha1(owner)>` (decoded by release-event.ts), so that waiter holds the lock without an
 * acquire round trip of its own (the owner token is a secret, so only its hash goes on the channel).
 * With `tag` (the releasing store's owner-token tag) a head whose token ends with it is that store's
 * own waiter: the script's reply hands it the grant, so nothing is published.
 * `pass_on` ends the current holding: a hand-off (returning the grant), or DEL and a plain release
 * message (returning 0).
 */
const FAIR_LUA = `local function take(k, owner, ttl, retention, w)
  local fence = mint(k.fence, math.max(tonumber(retention), tonumber(ttl)))
  redis.call('SET', k.lock, fence .. ' 1 ' .. w .. ' ' .. owner, 'PX', ttl)
  return fence
end
local function now_ms(t)
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function live_info(k, member, nowms)
  local info = redis.call('HGET', k.waiters, member)
  if not info then return nil end
  local sep = string.find(info, ':', 1, true)
  if tonumber(string.sub(info, 1, sep - 1)) <= nowms then return nil end
  return string.sub(info, sep + 1)
end
local function drop(k, member)
  redis.call('ZREM', k.queue, member)
  redis.call('HDEL', k.waiters, member)
end
local function tidy(k)
  if redis.call('EXISTS', k.queue) == 0 then redis.call('DEL', k.waiters) end
end
local function hand_off(k, t, retention, tag)
  local nowms = now_ms(t)
  while true do
    local head = redis.call('ZPOPMIN', k.queue)[1]
    if not head then
      redis.call('DEL', k.waiters)
      return false
    end
    local ttl = live_info(k, head, nowms)
    redis.call('HDEL', k.waiters, head)
    if ttl then
      local grant = 'g:' .. take(k, head, ttl, retention, '1') .. ':' .. redis.sha1hex(head)
      tidy(k)
      if not tag or tag == '' or string.sub(head, -#tag) ~= tag then
        redis.call('PUBLISH', k.lock .. ':released', grant)
      end
      return grant
    end
  end
end
local function pass_on(k, retention, tag)
  local grant = redis.call('EXISTS', k.queue) == 1 and hand_off(k, redis.call('TIME'), retention, tag)
  if grant then return grant end
  redis.call('DEL', k.lock)
  redis.call('PUBLISH', k.lock .. ':released', '1')
  return 0
end
`;

/**
 * The keys table the fair helpers take, from a script's first four KEYS (lock, fence counter,
 * queue, waiter info: `lockKeys()` in lock-keys.ts builds them in that order for every script).
 */
const FAIR_KEYS_LUA = `local k = {lock = KEYS[1], fence = KEYS[2], queue = KEYS[3], waiters = KEYS[4]}
`;

/**
 * How many entries ahead of a queued caller ACQUIRE_FAIR checks for being the same store's own
 * waiters; further back, its answer says "not all local" without looking (one ZRANGE of a bounded
 * length per queued attempt).
 *
 * @default 32
 * @example
 * // a waiter with up to 32 entries ahead can learn that all of them are its own store's
 * console.log(LOCAL_AHEAD_SCAN);
 */
export const LOCAL_AHEAD_SCAN = 32;

/** Every helper: the lock-value ones, then the fair-queue ones. */
const COMMON = LOCK_VALUE_LUA + FAIR_LUA + FAIR_KEYS_LUA;

/**
 * Acquire through the fair queue. KEYS: lock, fence, queue, waiter info, wait record.
 * ARGV: 1 owner, 2 ttl ms, 3 fence retention ms, 4 queue entry ttl ms, 5 mode ('f' = wait in the
 * queue, 't' = try once without queueing), 6 mint ('1' mints the token on the free-lock path, '0'
 * writes fence 0 = not minted; a hand-off and a take from the queue always mint), 7 the calling
 * store's owner-token tag (see `hand_off`).
 * A free lock goes to the caller only when no live waiter is ahead of it; when one is, the lock is
 * handed to that waiter (as a release would) and the caller queues behind it. A busy lock queues
 * (or refreshes) the caller with a deadline of now + queue entry ttl (the queue keys live as long
 * as the newest entry: every caller passes the same entry ttl), and is marked waited-for.
 * The free-lock path is EXISTS (queue), (INCR when minting), `SET NX PX GET`.
 * Returns {1, fence ('0' when not minted), holds, handedOff (1 when an earlier release already made the caller the owner)}
 * or {0, holder pttl (-1 unknown), 0, 0, what the holder waits for (its live wait record, see
 * deadlock-scripts.ts) or nil}; a queued caller's answer adds {its place in the queue (the entry's
 * score: arrival order), 1 when every entry ahead of it (at most {@link LOCAL_AHEAD_SCAN}) is a waiter
 * of the same store (token ending with ARGV[7]), else 0, the number of entries ahead of it}: what lets
 * that store hand the lock to its own queue head without waiting for Redis (see {@link RELEASE_TO} and
 * docs/fair-locking.md), and the waiter's place for tracing.
 */
export const ACQUIRE_FAIR = defineScript(
  'acquireFair',
  5,
  LOCK_PARSE_LUA +
    `local v
if redis.call('EXISTS', KEYS[3]) == 0 then
  local fence = ARGV[6] == '1' and mint(KEYS[2], math.max(tonumber(ARGV[3]), tonumber(ARGV[2]))) or '0'
  v = redis.call('SET', KEYS[1], fence .. ' 1 0 ' .. ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
  if not v then return {1, fence, 1, 0} end
else
  v = redis.call('GET', KEYS[1])
end
` +
    LOCK_VALUE_REST_LUA +
    FAIR_LUA +
    FAIR_KEYS_LUA +
    `local f, c, w, o
if v then
  f, c, w, o = parse(v)
  if o == ARGV[1] then return {1, f, c, 1} end
end
local t = redis.call('TIME')
if not v then
  local nowms = now_ms(t)
  local mine = false
  while true do
    local head = redis.call('ZRANGE', k.queue, 0, 0)[1]
    if not head then break end
    if head == ARGV[1] then
      mine = true
      break
    end
    if live_info(k, head, nowms) then break end
    drop(k, head)
  end
  local head = redis.call('ZRANGE', k.queue, 0, 0)[1]
  if not head or mine then
    drop(k, ARGV[1])
    tidy(k)
    return {1, take(k, ARGV[1], ARGV[2], ARGV[3], redis.call('EXISTS', k.queue) == 1 and '1' or '0'), 1, 0}
  end
  hand_off(k, t, ARGV[3])
  local handed = redis.call('GET', k.lock)
  if handed then o = select(4, parse(handed)) end
elseif ARGV[5] == 'f' then
  mark_waited(k.lock, f, c, w, o)
end
local pttl = redis.call('PTTL', k.lock)
local waited = waits_of(KEYS[5], o)
if ARGV[5] ~= 'f' then return {0, pttl, 0, 0, waited} end
redis.call('ZADD', k.queue, 'NX', redis.call('HINCRBY', k.waiters, '#', 1), ARGV[1])
local qttl = tonumber(ARGV[4])
redis.call('HSET', k.waiters, ARGV[1], (now_ms(t) + qttl) .. ':' .. ARGV[2])
redis.call('PEXPIRE', k.queue, qttl)
redis.call('PEXPIRE', k.waiters, qttl)
local rank = redis.call('ZRANK', k.queue, ARGV[1])
local local_ahead = rank <= ${LOCAL_AHEAD_SCAN} and 1 or 0
if rank > 0 and local_ahead == 1 then
  for _, m in ipairs(redis.call('ZRANGE', k.queue, 0, rank - 1)) do
    if string.sub(m, -#ARGV[7]) ~= ARGV[7] then
      local_ahead = 0
      break
    end
  end
end
return {0, pttl, 0, 0, waited, redis.call('ZSCORE', k.queue, ARGV[1]), local_ahead, rank}`,
);

/**
 * Release one hold: every lock's release, fair or not. On the last one of a lock that was waited for,
 * hand it to the first live waiter of the fair queue (publishing its grant), or, when nobody
 * queues, publish a plain release for pub/sub waiters; a lock nobody waited for is just deleted
 * (GET + DEL). KEYS: lock, fence, queue, waiter info. ARGV: owner, fence retention ms, the releasing
 * store's owner-token tag (a grant to a waiter whose token ends with it is not published; see `hand_off`).
 * Returns holds left (0 = released), -1 when the owner does not hold it, or, when it handed the lock
 * over, the grant it published (`g:<fence>:<sha1(owner)>`), so the releasing process can pass it to
 * a waiter of its own at once, without waiting for the message to come back over pub/sub.
 */
export const RELEASE = defineScript(
  'release',
  4,
  // The common cases run before any helper is defined (no closure is created): the uncontended
  // holding as the bare SET wrote it is one string comparison, one hold nobody waited for one match.
  `local v = redis.call('GET', KEYS[1])
if v == '0 1 0 ' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 0
end
if not v then return -1 end
local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
if o ~= ARGV[1] then return -1 end
if c == '1' and w == '0' then
  redis.call('DEL', KEYS[1])
  return 0
end
c = tonumber(c)
` +
    LOCK_VALUE_LUA +
    FAIR_LUA +
    FAIR_KEYS_LUA +
    `if c > 1 then
  redis.call('SET', KEYS[1], encode(f, c - 1, w, o), 'KEEPTTL')
  return c - 1
end
return pass_on(k, ARGV[2], ARGV[3])`,
);

/**
 * The release of a holding to a named successor, a waiter of the releasing store that was the fair
 * queue's head as far as that store knows (see ACQUIRE_FAIR's answer): the store lets the successor
 * go on before this answer comes (docs/fair-locking.md, "In-process hand-off"). Owner-checked, and
 * only the last hold is handed over; the lock is never free in between, so nobody else can take it.
 * KEYS: lock, fence, queue, waiter info. ARGV: owner, fence retention ms, successor, successor's ttl ms.
 * Returns the grant `g:<fence>:<sha1(successor)>` (nothing is published: the successor is the
 * releaser's own waiter), holds left (> 0) when the owner holds it more than once, or -1 when the
 * owner does not hold it (the successor then has no lock either).
 */
export const RELEASE_TO = defineScript(
  'releaseTo',
  4,
  COMMON +
    `local v = redis.call('GET', k.lock)
if not v then return -1 end
local f, c, w, o = parse(v)
if o ~= ARGV[1] then return -1 end
if c > 1 then
  redis.call('SET', k.lock, encode(f, c - 1, w, o), 'KEEPTTL')
  return c - 1
end
drop(k, ARGV[3])
local grant = 'g:' .. take(k, ARGV[3], ARGV[4], ARGV[2], '1') .. ':' .. redis.sha1hex(ARGV[3])
tidy(k)
return grant`,
);

/**
 * A waiter gives up: leave the queue, or, when a release already handed it the lock, release it
 * to the next waiter. KEYS: lock, fence, queue, waiter info. ARGV: owner, fence retention ms.
 * Returns 1 when it had been handed the lock, else 0.
 */
export const LEAVE_FAIR_QUEUE = defineScript(
  'leaveFairQueue',
  4,
  COMMON +
    `local v = redis.call('GET', KEYS[1])
if v and select(4, parse(v)) == ARGV[1] then
  pass_on(k, ARGV[2])
  return 1
end
drop(k, ARGV[1])
tidy(k)
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
export const FAIR_LOCK_SCRIPTS: readonly LuaScript[] = [
  ACQUIRE_FAIR,
  RELEASE,
  RELEASE_TO,
  LEAVE_FAIR_QUEUE,
  COUNT_FAIR_WAITERS,
];
