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
 * Lua shared by every script that reads or writes a lock (see docs/guide.md#data-model): `parse`
 * and `mint` here, the rest in {@link LOCK_VALUE_REST_LUA}, both together in {@link LOCK_VALUE_LUA}.
 *
 * A held lock is one string key, `"<fence> <holds> <waited> <owner>"`, with the lock's TTL:
 * - `fence`: the fencing token of this holding (decimal), `0` while it is not minted (tokens are
 *   minted lazily: on `getFence()`, with `fence: true`, or at a fair hand-off);
 * - `holds`: reentrant hold count;
 * - `waited`: `1` once a caller found the lock busy and may be waiting for it (set by the busy
 *   branch of the acquire scripts), else `0`. Only a release of a lock marked `1` looks at the
 *   fair queue and publishes on the release channel, so an uncontended release is `GET` + `DEL`;
 * - `owner`: the owner token (last, so it may contain spaces).
 *
 * The release channel of a lock is its key followed by `:released` (see `lockKeys`); scripts derive
 * it from KEYS[1] rather than take it as an argument.
 *
 * `mint(key, retention)` returns the next fencing token from the lock's counter key: `INCR`, and
 * when the counter did not exist (first use, expired after `retention`, or lost in a restart or
 * failover) it is seeded with the server clock in µs. A counter only grows by one per script run,
 * i.e. slower than the clock, so a reseeded counter is above every token it handed out (as long
 * as the server clock does not step back). `INCR` keeps the seed's expiry: the counter lives
 * `retention` after it was seeded, then starts again from the clock.
 */
export const LOCK_PARSE_LUA = `local function parse(v)
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
`;

/**
 * The rest of {@link LOCK_VALUE_LUA} (`encode`, `mark_waited`, `waits_of`). A script whose common case
 * needs only `parse` and `mint` runs that case between {@link LOCK_PARSE_LUA} and this, so the common
 * case does not pay for creating closures it never calls (measured: about 9 µs of Redis CPU per call).
 */
export const LOCK_VALUE_REST_LUA = `local function encode(f, c, w, o)
  return f .. ' ' .. c .. ' ' .. w .. ' ' .. o
end
local function mark_waited(key, f, c, w, o)
  if w == '0' and o then redis.call('SET', key, encode(f, c, '1', o), 'KEEPTTL') end
end
local function waits_of(key, owner)
  local r = owner and redis.call('GET', key)
  if not r then return false end
  local cut = string.find(r, '\\n', 1, true)
  if string.sub(r, cut + 1) ~= owner then return false end
  return string.sub(r, 1, cut - 1)
end
`;

/** Every lock-value helper: {@link LOCK_PARSE_LUA} followed by {@link LOCK_VALUE_REST_LUA}. */
export const LOCK_VALUE_LUA = LOCK_PARSE_LUA + LOCK_VALUE_REST_LUA;

/**
 * Acquire (pub/sub mode; the scripted path: the store first tries a native `SET NX PX`, see
 * {@link unfencedLockValue}, and runs this only when that found the lock busy, or with `fence: true`).
 * A reentrant hold only ever extends the TTL, never shortens the outer hold's.
 * KEYS: lock, fence counter, wait record. ARGV: owner, ttl ms, reentrant ('1'/'0'), fence retention ms,
 * mint ('1': mint the fencing token now, also for a reentrant hold of a lock whose token was not minted;
 * '0': write fence 0, "not minted", and leave minting to {@link MINT_FENCE}).
 * The free-lock path is (INCR when minting) + `SET NX PX GET` (Redis ≥ 7.0); a busy answer with
 * minting costs the counter one unused number, which keeps tokens increasing.
 * Returns {1, fence ('0' when not minted), holds} or {0, holder pttl, held by this owner (1/0), what
 * the holder waits for}. The last element is the holder's live wait record (written by SET_WAITS_FOR in
 * deadlock-scripts.ts) or nil: deadlock detection learns the holder's wait with no extra round trip.
 * A busy answer marks the lock as waited for, so its release publishes.
 */
export const ACQUIRE = defineScript(
  'acquire',
  3,
  LOCK_PARSE_LUA +
    `local fence = ARGV[5] == '1' and mint(KEYS[2], ARGV[4]) or '0'
local v = redis.call('SET', KEYS[1], fence .. ' 1 0 ' .. ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
if not v then return {1, fence, 1} end
` +
    LOCK_VALUE_REST_LUA +
    `local f, c, w, o = parse(v)
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
return {0, redis.call('PTTL', KEYS[1]), o == ARGV[1] and 1 or 0, waits_of(KEYS[3], o)}`,
);

/**
 * The value a native `SET key value NX PX ttl` writes for an uncontended acquire: fence `0` (not
 * minted yet), one hold, not waited for. Same format as the scripts write, so every script reads it.
 *
 * @example
 * unfencedLockValue('api-1:9f86…'); // '0 1 0 api-1:9f86…'
 */
export const unfencedLockValue = (owner: string): string => `0 1 0 ${owner}`;

/**
 * Mints the fencing token of a lock whose holder asks for it (`LockHandle.getFence()`), once: owner-checked,
 * so a holder that lost the lock never obtains a token. A lock acquired by a bare `SET` (or unminted
 * script path) carries fence `0`; this takes the next number from the lock's counter (strictly above every
 * earlier token of the name, see `mint`) and writes it into the value, keeping the TTL. A token already
 * minted (by `fence: true`, a fair hand-off, or an earlier call) is returned unchanged.
 * KEYS: lock, fence counter. ARGV: owner, fence retention ms.
 * Returns the token (string), or nil when `owner` does not hold the lock.
 */
export const MINT_FENCE = defineScript(
  'mintFence',
  2,
  LOCK_VALUE_LUA +
    `local v = redis.call('GET', KEYS[1])
if not v then return false end
local f, c, w, o = parse(v)
if o ~= ARGV[1] then return false end
if f == '0' then
  f = mint(KEYS[2], ARGV[2])
  redis.call('SET', KEYS[1], encode(f, c, w, o), 'KEEPTTL')
end
return f`,
);

/**
 * The release of a holding still as the bare `SET` wrote it (see {@link unfencedLockValue}: token not
 * minted, one hold, nobody waited): a compare-and-delete, the same script as the raw baseline's, with
 * one key and one argument. KEYS: lock. ARGV: that value. Returns 1 when it deleted the lock, else 0:
 * the holding changed (a token minted, a reentrant hold, a waiter marked it, or it is gone), and the
 * store runs {@link RELEASE} (fair-lock-scripts.ts), which hands the lock on or reports it not held.
 */
export const RELEASE_BARE = defineScript(
  'releaseBare',
  1,
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/** Owner-checked renewal. KEYS: lock. ARGV: owner, ttl ms. Returns 1 or 0. */
export const RENEW = defineScript(
  'renew',
  1,
  `local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^%d+ %d+ %d (.*)$') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`,
);

/**
 * Owner-checked renewal of many locks in one call (standalone and Sentinel; a Cluster spreads
 * locks over slots). KEYS: the locks. ARGV: owner and ttl ms of each, in pairs.
 * Returns one 1/0 per key, in order. The store sends chunks of {@link RENEW_MANY_CHUNK} keys, so
 * one call keeps Redis busy for well under a millisecond.
 */
export const RENEW_MANY: LuaScript = defineScript(
  'renewMany',
  0, // the per-call count: callers use a copy with the real number of keys
  `local out = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.match(v, '^%d+ %d+ %d (.*)$') == ARGV[2 * i - 1] then
    out[i] = redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
  else
    out[i] = 0
  end
end
return out`,
);

/** Most locks one {@link RENEW_MANY} call renews. */
export const RENEW_MANY_CHUNK = 200;

/** Inspect. KEYS: lock. Returns {owner or false, holds, fence, pttl}. */
export const INSPECT = defineScript(
  'inspect',
  1,
  LOCK_VALUE_LUA +
    `local v = redis.call('GET', KEYS[1])
if not v then return {false, false, false, -2} end
local f, c, w, o = parse(v)
return {o or false, c, f, redis.call('PTTL', KEYS[1])}`,
);

/** Force release. KEYS: lock. Returns 1 when a lock was deleted (then published on its release channel). */
export const FORCE_RELEASE = defineScript(
  'forceRelease',
  1,
  `local n = redis.call('DEL', KEYS[1])
if n > 0 then redis.call('PUBLISH', KEYS[1] .. ':released', '1') end
return n`,
);

/** The single-lock scripts, for loading at start-up and for health checks (the fair ones are in fair-lock-scripts.ts). */
export const LOCK_SCRIPTS: readonly LuaScript[] = [
  ACQUIRE,
  RELEASE_BARE,
  MINT_FENCE,
  RENEW,
  RENEW_MANY,
  INSPECT,
  FORCE_RELEASE,
];
