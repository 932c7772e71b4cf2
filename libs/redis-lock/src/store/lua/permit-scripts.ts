import { defineScript, LOCK_PARSE_LUA, type LuaScript } from './lock-scripts.js';

/**
 * Lua that reads the state of a read-write lock or semaphore (docs: PRIMITIVES.md, `permitKeys` in
 * lock-keys.ts). Every helper takes the keys table `k` first (see {@link PERMIT_KEYS_LUA}):
 * `k.holders` (zset owner → expiry, server ms), `k.info` (hash owner → `"<count> <holds> <fence>"`,
 * `#l` the limit, `#u` the permits used), `k.queue` (zset owner → arrival number), `k.waiters`
 * (hash owner → `"<deadline ms>:<ttl ms>:<count>:<m|s>"`, `#` the arrival counter), `k.fence`.
 * `holding` parses a holder's entry, `waiter` a queue entry (nil when missing).
 */
const PERMIT_READ_LUA = `local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ms(x)
  return string.format('%.0f', x)
end
local function holding(k, owner)
  local v = redis.call('HGET', k.info, owner)
  if not v then return nil end
  local c, h, f = string.match(v, '^(%d+) (%d+) (%d+)$')
  return tonumber(c), tonumber(h), f
end
local function waiter(k, owner)
  local v = redis.call('HGET', k.waiters, owner)
  if not v then return nil end
  local d, ttl, c, m = string.match(v, '^(%d+):(%d+):(%d+):(%a)$')
  return tonumber(d), tonumber(ttl), tonumber(c), m
end
`;

/**
 * Lua that changes the state (after {@link LOCK_PARSE_LUA} for `mint`, and {@link PERMIT_READ_LUA}):
 * - `keep(key, ttl)`: the key lives at least `ttl` ms more, so state never outlives the longest live
 *   holder or queue entry (a dead holder's state vanishes by itself): `PEXPIRE … GT`, and `NX` for a key
 *   that has no expiry yet (one command in the common case; Redis 7);
 * - `forget` drops a holder and frees its permits; `purge` forgets every expired holder (and, when the
 *   holders key expired as a whole, resets the used count), returning how many permits may have freed up;
 * - `fence_for` gives a holding its token: a new one (`m`) or the name's current one (`s`, minted only
 *   when there is none; `current` when the caller already knows it);
 * - `take` makes `owner` a holder of `count` permits for `ttl` ms, with its token from `fence_for`;
 * - `grant_heads` grants the queue's heads in order while they fit (dropping dead entries), publishing
 *   the grants on the release channel in the mutex hand-off format, one message per token for every
 *   owner granted with it (`g:<fence>:<sha1(owner)>,<sha1(owner)>...`: a run of readers is one message),
 *   except to `self`; counts, key expiries and the shared token are updated once per run; and returns the published grants, the permits used after it, whether the queue is empty
 *   now, and `self`'s token when it granted `self`;
 * - `let_go` drops one hold of a holder (the last frees its permits): holds left, or -1;
 * - `vacate` deletes the hash keys once nobody holds or waits.
 */
const PERMIT_WRITE_LUA = `local function keep(key, ttl)
  if redis.call('PEXPIRE', key, ms(ttl), 'GT') == 0 then redis.call('PEXPIRE', key, ms(ttl), 'NX') end
end
local function forget(k, owner, c)
  c = c or holding(k, owner)
  redis.call('ZREM', k.holders, owner)
  redis.call('HDEL', k.info, owner)
  if c then return redis.call('HINCRBY', k.info, '#u', -c) end
end
local function purge(k, now)
  if redis.call('EXISTS', k.holders) == 0 then return redis.call('HDEL', k.info, '#u') end
  local dead = redis.call('ZRANGEBYSCORE', k.holders, '-inf', ms(now))
  for _, owner in ipairs(dead) do forget(k, owner) end
  return #dead
end
local function drop(k, owner)
  redis.call('ZREM', k.queue, owner)
  redis.call('HDEL', k.waiters, owner)
end
local function fence_for(k, mode, ttl, retention, current)
  if mode == 's' then return current or redis.call('GET', k.fence) or mint(k.fence, math.max(retention, ttl)) end
  return mint(k.fence, math.max(retention, ttl))
end
local function take(k, owner, count, ttl, mode, now, retention)
  local fence = fence_for(k, mode, ttl, retention)
  redis.call('ZADD', k.holders, ms(now + ttl), owner)
  redis.call('HSET', k.info, owner, count .. ' 1 ' .. fence)
  redis.call('HINCRBY', k.info, '#u', count)
  keep(k.holders, ttl)
  keep(k.info, ttl)
  return fence
end
local function grant_heads(k, now, retention, self, limit, used)
  if not limit and not used then
    local state = redis.call('HMGET', k.info, '#l', '#u')
    limit, used = tonumber(state[1] or '0'), tonumber(state[2] or '0')
  end
  limit = limit or tonumber(redis.call('HGET', k.info, '#l') or '0')
  used = used or tonumber(redis.call('HGET', k.info, '#u') or '0')
  local grants, empty, mine = {}, false, nil
  local current, added, longest, digests, order = nil, 0, 0, {}, {}
  local gone, holders, details = {}, {}, {}
  local from = 0
  while true do
    -- The heads in batches of 16: one ZRANGE and one HMGET per batch, not two calls per head.
    local heads = redis.call('ZRANGE', k.queue, from, from + 15)
    if #heads == 0 then
      empty = true
      break
    end
    local infos = redis.call('HMGET', k.waiters, unpack(heads))
    local blocked = false
    for i, head in ipairs(heads) do
      local deadline, ttl, count, mode
      if infos[i] then
        deadline, ttl, count, mode = string.match(infos[i], '^(%d+):(%d+):(%d+):(%a)$')
        deadline, ttl, count = tonumber(deadline), tonumber(ttl), tonumber(count)
      end
      local live = deadline and deadline > now -- a holder is never queued (its attempts return early)
      if live and used + count > limit then
        blocked = true
        break
      end
      gone[#gone + 1] = head
      if live then
        used = used + count
        local fence = fence_for(k, mode, ttl, retention, current)
        current = fence
        holders[#holders + 1] = ms(now + ttl)
        holders[#holders + 1] = head
        details[#details + 1] = head
        details[#details + 1] = count .. ' 1 ' .. fence
        added = added + count
        if ttl > longest then longest = ttl end
        if head == self then
          mine = fence
        else
          if not digests[fence] then
            digests[fence] = {}
            order[#order + 1] = fence
          end
          table.insert(digests[fence], redis.sha1hex(head))
        end
      end
    end
    if blocked then break end
    if #heads < 16 then
      empty = true
      break
    end
    from = from + 16
  end
  if #gone > 0 then
    redis.call('ZREM', k.queue, unpack(gone))
    redis.call('HDEL', k.waiters, unpack(gone))
  end
  if added > 0 then
    redis.call('ZADD', k.holders, unpack(holders))
    redis.call('HSET', k.info, unpack(details))
    redis.call('HINCRBY', k.info, '#u', added)
    keep(k.holders, longest)
    keep(k.info, longest)
  end
  for _, fence in ipairs(order) do
    local grant = 'g:' .. fence .. ':' .. table.concat(digests[fence], ',')
    redis.call('PUBLISH', k.holders .. ':released', grant)
    grants[#grants + 1] = grant
  end
  if empty then redis.call('DEL', k.waiters) end
  return grants, used, empty, mine
end
local function let_go(k, owner)
  if not redis.call('ZSCORE', k.holders, owner) then return -1 end
  local c, h, f = holding(k, owner)
  if c and h > 1 then
    redis.call('HSET', k.info, owner, c .. ' ' .. (h - 1) .. ' ' .. f)
    return h - 1
  end
  return 0, forget(k, owner, c)
end
local function vacate(k)
  if redis.call('EXISTS', k.holders) == 0 and redis.call('EXISTS', k.queue) == 0 then
    redis.call('DEL', k.info, k.waiters)
  end
end
`;

/**
 * The keys table the permit helpers take, from a script's KEYS in the order of `permitKeys()`:
 * holders, info, queue, waiters, fence counter (the read-only scripts pass the first four).
 */
const PERMIT_KEYS_LUA = `local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
`;

/** Every helper of the writing scripts, then the keys table. */
const PERMIT_LUA = LOCK_PARSE_LUA + PERMIT_READ_LUA + PERMIT_WRITE_LUA + PERMIT_KEYS_LUA;

/**
 * One permit request (read-write lock or semaphore). KEYS: holders, info, queue, waiters, fence.
 * ARGV: 1 owner, 2 count, 3 limit, 4 fence mode ('m' mint, 's' share), 5 ttl ms, 6 queue entry ttl ms,
 * 7 'f' (queue when busy) or 't' (try only), 8 reentrant ('1'/'0'), 9 fence retention ms.
 * Drops expired holders, sets the limit (the last request's wins), then: an owner that holds already
 * adds a hold when reentrant (expiry = max(old, now + ttl)) or was handed the permits by a release;
 * otherwise the queue's heads are granted while they fit (so a raised limit or an expiry admits them),
 * and the caller takes its permits when no live waiter is ahead of it and they fit. When busy, 'f'
 * queues (or refreshes) the caller with a deadline of now + queue entry ttl.
 * Returns {1, fence, holds, handedOff (1/0)} or {0, ms until the first holder expires (-1 none), 0, 0}.
 */
export const ACQUIRE_PERMITS = defineScript(
  'acquirePermits',
  5,
  PERMIT_LUA +
    `local now = now_ms()
local owner, count, ttl, retention = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5]), tonumber(ARGV[9])
purge(k, now)
local limit = tonumber(ARGV[3])
local state = redis.call('HMGET', k.info, '#l', '#u')
local used = tonumber(state[2] or '0')
if state[1] ~= ARGV[3] then redis.call('HSET', k.info, '#l', ARGV[3]) end
local expiry = redis.call('ZSCORE', k.holders, owner)
if expiry then
  local c, h, f = holding(k, owner)
  if ARGV[8] == '1' then
    h = h + 1
    redis.call('HSET', k.info, owner, c .. ' ' .. h .. ' ' .. f)
    if tonumber(expiry) < now + ttl then
      redis.call('ZADD', k.holders, ms(now + ttl), owner)
      keep(k.holders, ttl)
      keep(k.info, ttl)
    end
  end
  grant_heads(k, now, retention, owner, limit, used)
  return {1, f, h, ARGV[8] == '1' and 0 or 1}
end
local _, empty, mine
_, used, empty, mine = grant_heads(k, now, retention, owner, limit, used)
if mine then return {1, mine, 1, 0} end
if empty and used + count <= limit then
  return {1, take(k, owner, count, ttl, ARGV[4], now, retention), 1, 0}
end
if ARGV[7] == 'f' then
  redis.call('ZADD', k.queue, 'NX', redis.call('HINCRBY', k.waiters, '#', 1), owner)
  local qttl = tonumber(ARGV[6])
  redis.call('HSET', k.waiters, owner, ms(now + qttl) .. ':' .. ARGV[5] .. ':' .. ARGV[2] .. ':' .. ARGV[4])
  keep(k.queue, qttl)
  keep(k.waiters, qttl)
elseif empty then
  vacate(k)
end
-- A hash this call created (setting the limit) gets an expiry; otherwise it lives as long as its
-- holders, and every request sets the limit again.
if not state[1] and not state[2] then keep(k.info, tonumber(ARGV[6])) end
local first = redis.call('ZRANGE', k.holders, 0, 0, 'WITHSCORES')[2]
return {0, first and tonumber(first) - now or -1, 0, 0}`,
);

/**
 * Drop one hold of each owner given (the holdings of one name a process releases in the same event
 * loop turn, e.g. a run of readers whose sections end together, go in one call); a last hold frees
 * its permits, and then the queue's heads that now fit are granted once for all of them.
 * KEYS: holders, info, queue, waiters, fence. ARGV: fence retention ms, owner, owner....
 * Returns {holds left per owner, in ARGV order (0 = released, -1 = not a holder), grant...}: the
 * grants it published, so the releasing process can pass them to waiters of its own at once.
 */
export const RELEASE_PERMITS = defineScript(
  'releasePermits',
  5,
  PERMIT_LUA +
    `local now = now_ms()
local freed = purge(k, now)
local out, released, kept, used = {}, false, false, nil
for i = 2, #ARGV do
  local left, after = let_go(k, ARGV[i])
  out[#out + 1] = left
  if left == 0 then
    released = true
    used = after
  elseif left > 0 then
    kept = true
  end
end
if released or freed > 0 then
  local grants
  grants, used = grant_heads(k, now, tonumber(ARGV[1]), false, nil, used)
  for _, grant in ipairs(grants) do out[#out + 1] = grant end
end
-- Permits still in use (or holds left) mean holders: nothing to vacate.
if not (used and used > 0) and not kept then vacate(k) end
return out`,
);

/**
 * Owner-checked TTL reset of a holding (expiry = now + ttl). KEYS: holders, info, queue, waiters,
 * fence. ARGV: owner, ttl ms, fence retention ms. Returns 1, or 0 when `owner` does not hold.
 */
export const RENEW_PERMITS = defineScript(
  'renewPermits',
  5,
  PERMIT_LUA +
    `local now = now_ms()
local freed = purge(k, now)
local renewed = 0
if redis.call('ZSCORE', k.holders, ARGV[1]) then
  local ttl = tonumber(ARGV[2])
  redis.call('ZADD', k.holders, 'XX', ms(now + ttl), ARGV[1])
  keep(k.holders, ttl)
  keep(k.info, ttl)
  renewed = 1
end
if freed > 0 then grant_heads(k, now, tonumber(ARGV[3]), false) end
vacate(k)
return renewed`,
);

/**
 * A waiter gives up: leave the queue, or, when a release already granted it, release that grant
 * (one hold, as RELEASE_PERMITS). Either may let the next heads in. KEYS: holders, info, queue,
 * waiters, fence. ARGV: owner, fence retention ms. Returns {1 (it had been granted) or 0, grant...}.
 */
export const LEAVE_PERMIT_QUEUE = defineScript(
  'leavePermitQueue',
  5,
  PERMIT_LUA +
    `local now = now_ms()
purge(k, now)
local out = {0}
if let_go(k, ARGV[1]) >= 0 then
  out[1] = 1
else
  drop(k, ARGV[1])
end
for _, grant in ipairs(grant_heads(k, now, tonumber(ARGV[2]), false)) do out[#out + 1] = grant end
vacate(k)
return out`,
);

/**
 * Read-only state of a name (expired holders and dead queue entries are skipped, not removed).
 * KEYS: holders, info, queue, waiters. Returns {limit (0 when nobody holds or waits), permits used,
 * live waiters, then per live holder: owner, count, holds, fence, ttl ms}.
 */
export const INSPECT_PERMITS = defineScript(
  'inspectPermits',
  4,
  PERMIT_READ_LUA +
    PERMIT_KEYS_LUA +
    `local now = now_ms()
local out = {0, 0, 0}
local live = redis.call('ZRANGEBYSCORE', k.holders, '(' .. ms(now), '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
  local c, h, f = holding(k, live[i])
  if c then
    out[2] = out[2] + c
    for _, v in ipairs({live[i], c, h, f, tonumber(live[i + 1]) - now}) do out[#out + 1] = v end
  end
end
for _, owner in ipairs(redis.call('ZRANGE', k.queue, 0, -1)) do
  local deadline = waiter(k, owner)
  if deadline and deadline > now then out[3] = out[3] + 1 end
end
if #out > 3 or out[3] > 0 then out[1] = tonumber(redis.call('HGET', k.info, '#l') or '0') end
return out`,
);

/**
 * Delete every holder and waiter of a name (the fence counter stays, so tokens keep rising) and,
 * when there were any, publish a plain release ('1') so waiters try again.
 * KEYS: holders, info, queue, waiters. Returns 1 when it had holders or waiters, else 0.
 */
export const FORCE_RELEASE_PERMITS = defineScript(
  'forceReleasePermits',
  4,
  `local n = redis.call('DEL', KEYS[1], KEYS[3])
redis.call('DEL', KEYS[2], KEYS[4])
if n == 0 then return 0 end
redis.call('PUBLISH', KEYS[1] .. ':released', '1')
return 1`,
);

/** The read-write lock and semaphore scripts, loaded with the others at start-up. */
export const PERMIT_SCRIPTS: readonly LuaScript[] = [
  ACQUIRE_PERMITS,
  RELEASE_PERMITS,
  RENEW_PERMITS,
  LEAVE_PERMIT_QUEUE,
  INSPECT_PERMITS,
  FORCE_RELEASE_PERMITS,
];
