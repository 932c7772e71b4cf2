-- acquire: 3 KEYS, sha1 d3187a08e0bf584fb468b9a6150a354534874e4f
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local fence = ARGV[5] == '1' and mint(KEYS[2], ARGV[4]) or '0'
local v = redis.call('SET', KEYS[1], fence .. ' 1 0 ' .. ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
if not v then return {1, fence, 1} end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local f, c, w, o = parse(v)
if o == ARGV[1] and ARGV[3] == '1' then
  if f == '0' and ARGV[5] == '1' then f = mint(KEYS[2], ARGV[4]) end
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('SET', KEYS[1], encode(f, c + 1, w, o), 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], encode(f, c + 1, w, o), 'KEEPTTL')
  end
  return {1, f, c + 1}
end
mark_waited(KEYS[1], f, c, w, o)
return {0, redis.call('PTTL', KEYS[1]), o == ARGV[1] and 1 or 0, waits_of(KEYS[3], o)}

-- releaseBare: 1 KEYS, sha1 7f8f6677b8f2b4b65b9b9905151ced126e6b7e49
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0

-- mintFence: 2 KEYS, sha1 7af2399d93fa4f5d0e0c98bd67c6799f03997458
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local v = redis.call('GET', KEYS[1])
if not v then return false end
local f, c, w, o = parse(v)
if o ~= ARGV[1] then return false end
if f == '0' then
  f = mint(KEYS[2], ARGV[2])
  redis.call('SET', KEYS[1], encode(f, c, w, o), 'KEEPTTL')
end
return f

-- renew: 1 KEYS, sha1 e223265c90aa44c216b4ff5d98223cad6193151d
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^%d+ %d+ %d (.*)$') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0

-- renewMany: per-call KEYS, sha1 fb53325aa31c7ece8c9d9f35a991d3f0ee9d520c
local out = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.match(v, '^%d+ %d+ %d (.*)$') == ARGV[2 * i - 1] then
    out[i] = redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
  else
    out[i] = 0
  end
end
return out

-- inspect: 1 KEYS, sha1 ef6d8cb58d44a8c865e9192a32cf37fe832517eb
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local v = redis.call('GET', KEYS[1])
if not v then return {false, false, false, -2} end
local f, c, w, o = parse(v)
return {o or false, c, f, redis.call('PTTL', KEYS[1])}

-- forceRelease: 1 KEYS, sha1 972c19536313b4a3e586e059ccd698edecb8e28a
local n = redis.call('DEL', KEYS[1])
if n > 0 then redis.call('PUBLISH', KEYS[1] .. ':released', '1') end
return n

-- acquireFair: 5 KEYS, sha1 2ffe14746f42031c000ef8dee639d5b65cabaa60
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local v
if redis.call('EXISTS', KEYS[3]) == 0 then
  local fence = ARGV[6] == '1' and mint(KEYS[2], math.max(tonumber(ARGV[3]), tonumber(ARGV[2]))) or '0'
  v = redis.call('SET', KEYS[1], fence .. ' 1 0 ' .. ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
  if not v then return {1, fence, 1, 0} end
else
  v = redis.call('GET', KEYS[1])
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local function take(k, owner, ttl, retention, w)
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
local k = {lock = KEYS[1], fence = KEYS[2], queue = KEYS[3], waiters = KEYS[4]}
local f, c, w, o
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
local local_ahead = rank <= 32 and 1 or 0
if rank > 0 and local_ahead == 1 then
  for _, m in ipairs(redis.call('ZRANGE', k.queue, 0, rank - 1)) do
    if string.sub(m, -#ARGV[7]) ~= ARGV[7] then
      local_ahead = 0
      break
    end
  end
end
return {0, pttl, 0, 0, waited, redis.call('ZSCORE', k.queue, ARGV[1]), local_ahead, rank}

-- release: 4 KEYS, sha1 c6ea0783956099d396f87a4e5b5b6c82f3fdfec0
local v = redis.call('GET', KEYS[1])
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
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local function take(k, owner, ttl, retention, w)
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
local k = {lock = KEYS[1], fence = KEYS[2], queue = KEYS[3], waiters = KEYS[4]}
if c > 1 then
  redis.call('SET', KEYS[1], encode(f, c - 1, w, o), 'KEEPTTL')
  return c - 1
end
return pass_on(k, ARGV[2], ARGV[3])

-- releaseTo: 4 KEYS, sha1 1b695aef675f4a1480e6e53126c29c6a9a4b5343
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local function take(k, owner, ttl, retention, w)
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
local k = {lock = KEYS[1], fence = KEYS[2], queue = KEYS[3], waiters = KEYS[4]}
local v = redis.call('GET', k.lock)
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
return grant

-- leaveFairQueue: 4 KEYS, sha1 c398f879db99700eb666c850293e728f56761811
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local function take(k, owner, ttl, retention, w)
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
local k = {lock = KEYS[1], fence = KEYS[2], queue = KEYS[3], waiters = KEYS[4]}
local v = redis.call('GET', KEYS[1])
if v and select(4, parse(v)) == ARGV[1] then
  pass_on(k, ARGV[2])
  return 1
end
drop(k, ARGV[1])
tidy(k)
return 0

-- countFairWaiters: 2 KEYS, sha1 0f2413e275f613a37e427dd8184fe1bd5c20ccaf
local n = 0
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local info = redis.call('HGET', KEYS[2], member)
  if info and tonumber(string.sub(info, 1, string.find(info, ':', 1, true) - 1)) > nowms then n = n + 1 end
end
return n

-- acquireMany: per-call KEYS, sha1 8fa62e0edb1a78157b6bf2d212ad9813c09789ad
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local n = #KEYS / 2
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
return reply

-- setWaitsFor: 2 KEYS, sha1 bbc0e6db94e345ccb1c87e29998a24809c06503c
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local v = redis.call('GET', KEYS[1])
if not v or select(4, parse(v)) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
  return 1
end
redis.call('SET', KEYS[2], ARGV[2] .. '\n' .. ARGV[1], 'PX', ARGV[3])
return 1

-- waitsFor: 2 KEYS, sha1 d763ea20abc732f8b322bb4d397ddaaadee19006
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
local v = redis.call('GET', KEYS[1])
if not v then return false end
return waits_of(KEYS[2], select(4, parse(v)))

-- acquirePermits: 5 KEYS, sha1 815b7d1faa028191b8a71cac24971aa5c2ffbdcf
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function now_ms()
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
local function keep(key, ttl)
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
local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
local now = now_ms()
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
return {0, first and tonumber(first) - now or -1, 0, 0}

-- releasePermits: 5 KEYS, sha1 d17893b6be0400f6457f9e2cc16fc2982c1ed618
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function now_ms()
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
local function keep(key, ttl)
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
local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
local now = now_ms()
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
return out

-- renewPermits: 5 KEYS, sha1 061f06c0b416186801f59664ee0de84ccbac4671
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function now_ms()
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
local function keep(key, ttl)
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
local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
local now = now_ms()
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
return renewed

-- leavePermitQueue: 5 KEYS, sha1 0bb2bfeafe3bc9c90f9596162d4e1f56c38bff23
local function parse(v)
  local f, c, w, o = string.match(v, '^(%d+) (%d+) (%d) (.*)$')
  return f, tonumber(c), w, o
end
local function mint(key, retention)
  local fence = redis.call('INCR', key)
  if fence == 1 then
    local t = redis.call('TIME')
    fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', key, string.format('%.0f', fence), 'PX', retention)
  end
  return string.format('%.0f', fence)
end
local function now_ms()
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
local function keep(key, ttl)
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
local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
local now = now_ms()
purge(k, now)
local out = {0}
if let_go(k, ARGV[1]) >= 0 then
  out[1] = 1
else
  drop(k, ARGV[1])
end
for _, grant in ipairs(grant_heads(k, now, tonumber(ARGV[2]), false)) do out[#out + 1] = grant end
vacate(k)
return out

-- inspectPermits: 4 KEYS, sha1 54b2f549c230cff91a96a72d769210be58022803
local function now_ms()
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
local k = {holders = KEYS[1], info = KEYS[2], queue = KEYS[3], waiters = KEYS[4], fence = KEYS[5]}
local now = now_ms()
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
return out

-- forceReleasePermits: 4 KEYS, sha1 565b99a50bc6a875c543784ee2ae8fe7f8499f37
local n = redis.call('DEL', KEYS[1], KEYS[3])
redis.call('DEL', KEYS[2], KEYS[4])
if n == 0 then return 0 end
redis.call('PUBLISH', KEYS[1] .. ':released', '1')
return 1
