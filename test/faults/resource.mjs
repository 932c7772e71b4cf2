// The "protected resource" of the fault suite: a counter per key on its own redis-server (never faulted),
// guarded by fencing tokens (RELIABILITY.md §4.2). A fenced read REGISTERS the token before reading,
// so an older holder's later write is refused even when it read before the newer holder did.
//
//   fread(token)            -> [0, value] and max := token, or [-1, max] when token < max
//   fwrite(token, v, entry) -> 0 (value := v, max := token, RPUSH wlog entry), or -1 when token < max
//
// Tokens are the library's fences (µs-scale integers < 2^53, exact as Lua numbers).

export const FREAD = `local max = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < max then return {-1, tostring(max)} end
redis.call('SET', KEYS[1], ARGV[1])
return {0, redis.call('GET', KEYS[2]) or '0'}`;

export const FWRITE = `local max = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < max then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
return 0`;

/** Resource keys of one lock name. */
export const resourceKeys = (key) => ({
  max: `res:{${key}}:max`,
  value: `res:{${key}}:val`,
  wlog: `res:{${key}}:wlog`,
});

/** Defines `fread` / `fwrite` (and the unfenced `uread` / `uwrite`) on an ioredis client. */
export function defineResource(redis) {
  redis.defineCommand('fread', { numberOfKeys: 2, lua: FREAD });
  redis.defineCommand('fwrite', { numberOfKeys: 3, lua: FWRITE });
  return {
    /** @returns {Promise<{ok: true, value: number} | {ok: false, max: number}>} */
    async read(key, token) {
      const k = resourceKeys(key);
      const [status, v] = await redis.fread(k.max, k.value, String(token));
      return status === 0 ? { ok: true, value: Number(v) } : { ok: false, max: Number(v) };
    },
    /** @returns {Promise<boolean>} accepted */
    async write(key, token, value, entry) {
      const k = resourceKeys(key);
      return (await redis.fwrite(k.max, k.value, k.wlog, String(token), String(value), entry)) === 0;
    },
    /** Unfenced: a plain GET (to show what fencing prevents). */
    async readUnfenced(key) {
      return { ok: true, value: Number((await redis.get(resourceKeys(key).value)) ?? 0) };
    },
    /** Unfenced: a plain SET plus the write log entry. */
    async writeUnfenced(key, value, entry) {
      const k = resourceKeys(key);
      await redis.multi().set(k.value, String(value)).rpush(k.wlog, entry).exec();
      return true;
    },
  };
}

/** Write-log entry: `<token>:<value read>:<value written>:<pid>`. */
export const wlogEntry = (token, read, written, pid) => `${token}:${read}:${written}:${pid}`;

/** Parses a write-log entry. */
export function parseWlogEntry(entry) {
  const [token, read, written, pid] = entry.split(':');
  return { token: Number(token), read: Number(read), written: Number(written), pid: Number(pid) };
}
