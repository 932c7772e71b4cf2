// The fenced resources of the fault suite's primitive modes (run.ts --primitive rw|sem), on the same
// never-faulted resource redis-server as resource.mjs. Tokens are the library's fences.
//
// Read-write lock (one register per lock name; keys of resourceKeys(name) plus `rmax`):
//   Writers get a token above every earlier one; readers share the current one, so a reader's token equals
//   the last writer's. The resource therefore also remembers the highest token a READER registered (rmax):
//   a writer's token T is legitimate only while no reader holds T (readers of T come after that writer
//   released or lost the lock), so a writer whose token is <= rmax is refused.
//   wread(T)        writer's fenced read: refused when T < max or T <= rmax; else max := T, returns the value
//   wwrite(T, v, e) refused when T < max or T <= rmax; else value := v, max := T, RPUSH wlog e
//   rread(T)        reader's fenced read: refused when T < max; else max := T, rmax := T, returns the value
//   A reader reads at the start and at the end of its critical section: two accepted reads that differ are a
//   "torn read" (a write landed inside a read-locked section), which fencing must prevent.
//
// Semaphore of N permits (N slot registers per name, a holder of `count` permits occupies `count` slots):
//   sclaim(T, count) takes free slots whose max <= T (the most recently used first), then evicts the
//   occupants with the lowest tokens below T; refused (nothing taken) when that does not give `count` slots.
//   Each taken slot: max := T, occupant := T; returns the slots and their values.
//   swrite(T, slots, pid) writes value+1 to every slot, RPUSH its wlog, only if T still occupies all of them.
//   sleave(T, slots) frees the slots T still occupies.
//   Evicting the lowest token is right as long as a legitimate critical section is much shorter than the TTL
//   (100 ms vs 600 ms in the suite): an occupant still present when every slot is taken and a higher token
//   arrives has lost its permits (paused past its TTL, killed, or lost them in a Redis restart).
import { resourceKeys, wlogEntry } from './resource.mjs';

export const WREAD = `local max = tonumber(redis.call('GET', KEYS[1]) or '0')
local rmax = tonumber(redis.call('GET', KEYS[3]) or '0')
local t = tonumber(ARGV[1])
if t < max or t <= rmax then return {-1, tostring(math.max(max, rmax))} end
redis.call('SET', KEYS[1], ARGV[1])
return {0, redis.call('GET', KEYS[2]) or '0'}`;

export const WWRITE = `local max = tonumber(redis.call('GET', KEYS[1]) or '0')
local rmax = tonumber(redis.call('GET', KEYS[4]) or '0')
local t = tonumber(ARGV[1])
if t < max or t <= rmax then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
return 0`;

export const RREAD = `local max = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(ARGV[1])
if t < max then return {-1, tostring(max)} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1])
return {0, redis.call('GET', KEYS[2]) or '0'}`;

// KEYS[1] = the slots hash (max<i>, occ<i>, val<i>); ARGV = token, count, N.
export const SCLAIM = `local h = KEYS[1]
local t = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local free, taken = {}, {}
for i = 0, n - 1 do
  local occ = tonumber(redis.call('HGET', h, 'occ' .. i) or '')
  local max = tonumber(redis.call('HGET', h, 'max' .. i) or '0')
  if not occ then
    if max <= t then free[#free + 1] = {i, max} end
  elseif occ < t then
    taken[#taken + 1] = {i, occ}
  end
end
table.sort(free, function(a, b) return a[2] > b[2] end)
table.sort(taken, function(a, b) return a[2] < b[2] end)
local chosen = {}
for _, s in ipairs(free) do if #chosen < count then chosen[#chosen + 1] = s[1] end end
for _, s in ipairs(taken) do if #chosen < count then chosen[#chosen + 1] = s[1] end end
if #chosen < count then return {-1} end
local reply = {0}
for _, i in ipairs(chosen) do
  redis.call('HSET', h, 'max' .. i, ARGV[1], 'occ' .. i, ARGV[1])
  reply[#reply + 1] = i
  reply[#reply + 1] = redis.call('HGET', h, 'val' .. i) or '0'
end
return reply`;

// KEYS[1] = the slots hash, KEYS[2..] = the slots' wlogs; ARGV = token, pid, then slot numbers.
export const SWRITE = `local h = KEYS[1]
for j = 3, #ARGV do
  if redis.call('HGET', h, 'occ' .. ARGV[j]) ~= ARGV[1] then return -1 end
end
for j = 3, #ARGV do
  local read = tonumber(redis.call('HGET', h, 'val' .. ARGV[j]) or '0')
  redis.call('HSET', h, 'val' .. ARGV[j], read + 1)
  redis.call('RPUSH', KEYS[j - 1], ARGV[1] .. ':' .. read .. ':' .. (read + 1) .. ':' .. ARGV[2])
end
return 0`;

export const SLEAVE = `for j = 2, #ARGV do
  if redis.call('HGET', KEYS[1], 'occ' .. ARGV[j]) == ARGV[1] then redis.call('HDEL', KEYS[1], 'occ' .. ARGV[j]) end
end
return 0`;

/** The reader high-water mark of a read-write lock's register. */
export const rwReaderMaxKey = (key) => `res:{${key}}:rmax`;

/** Keys of a semaphore's slot registers: the hash and the write log of slot `i`. */
export const semSlotKeys = (key) => ({
  slots: `res:{${key}}:slots`,
  wlog: (i) => `res:{${key}}:slot${i}:wlog`,
});

/** Defines the read-write lock resource's commands on an ioredis client. */
export function defineRwResource(redis) {
  redis.defineCommand('rwWread', { numberOfKeys: 3, lua: WREAD });
  redis.defineCommand('rwWwrite', { numberOfKeys: 4, lua: WWRITE });
  redis.defineCommand('rwRread', { numberOfKeys: 3, lua: RREAD });
  const keys = (key) => ({ ...resourceKeys(key), rmax: rwReaderMaxKey(key) });
  const answer = ([status, v]) => (status === 0 ? { ok: true, value: Number(v) } : { ok: false, max: Number(v) });
  return {
    /** Writer's fenced read. @returns {Promise<{ok: true, value: number} | {ok: false, max: number}>} */
    async writerRead(key, token) {
      const k = keys(key);
      return answer(await redis.rwWread(k.max, k.value, k.rmax, String(token)));
    },
    /** Writer's fenced write of `value`. @returns {Promise<boolean>} accepted */
    async write(key, token, value, read, pid) {
      const k = keys(key);
      const entry = wlogEntry(token, read, value, pid);
      return (await redis.rwWwrite(k.max, k.value, k.wlog, k.rmax, String(token), String(value), entry)) === 0;
    },
    /** Reader's fenced read. @returns {Promise<{ok: true, value: number} | {ok: false, max: number}>} */
    async read(key, token) {
      const k = keys(key);
      return answer(await redis.rwRread(k.max, k.value, k.rmax, String(token)));
    },
  };
}

/** Defines the semaphore resource's commands (N = `permits` slots per name) on an ioredis client. */
export function defineSemResource(redis, permits) {
  redis.defineCommand('semClaim', { numberOfKeys: 1, lua: SCLAIM });
  redis.defineCommand('semLeave', { numberOfKeys: 1, lua: SLEAVE });
  return {
    /** @returns {Promise<{ok: true, slots: number[], values: number[]} | {ok: false}>} */
    async claim(key, token, count) {
      const reply = await redis.semClaim(semSlotKeys(key).slots, String(token), String(count), String(permits));
      if (reply[0] !== 0) return { ok: false };
      const slots = [];
      const values = [];
      for (let j = 1; j < reply.length; j += 2) {
        slots.push(Number(reply[j]));
        values.push(Number(reply[j + 1]));
      }
      return { ok: true, slots, values };
    },
    /** Writes value+1 to every claimed slot. @returns {Promise<boolean>} accepted */
    async write(key, token, slots, pid) {
      const k = semSlotKeys(key);
      const keys = [k.slots, ...slots.map((i) => k.wlog(i))];
      return (await redis.eval(SWRITE, keys.length, ...keys, String(token), String(pid), ...slots.map(String))) === 0;
    },
    async leave(key, token, slots) {
      await redis.semLeave(semSlotKeys(key).slots, String(token), ...slots.map(String));
    },
  };
}
