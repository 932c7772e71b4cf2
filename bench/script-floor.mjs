// What the uncontended cycle costs with no library JavaScript at all: plain ioredis calls, serial, on
// a private redis-server, interleaved rounds, medians. Shows how much of the gap to the raw
// baseline is Redis-side (the scripts) and how much is the library, and what the same scripts cost
// as Redis 7 Functions (FUNCTION LOAD once, FCALL) instead of EVALSHA.
//   node bench/script-floor.mjs [--rounds=7] [--ms=1000]      (after `npm run build`)
import { Redis } from 'ioredis';
import { startRedis } from './redis-server.mjs';
import { ACQUIRE_FAIR, RELEASE } from '../libs/redis-lock/dist/esm/store/lua/fair-lock-scripts.js';
import { RELEASE_BARE } from '../libs/redis-lock/dist/esm/store/lua/lock-scripts.js';
import { ACQUIRE_PERMITS, RELEASE_PERMITS } from '../libs/redis-lock/dist/esm/store/lua/permit-scripts.js';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = arg('rounds', 7);
const windowMs = arg('ms', 1000);

const server = await startRedis();
const admin = new Redis({ port: server.port });
const client = new Redis({ port: server.port });
const redisCpu = async () => {
  let seconds = 0;
  for (const m of (await admin.info('cpu')).matchAll(/used_cpu_(user|sys):([\d.]+)/g)) seconds += Number(m[2]);
  return seconds;
};
const load = (body) => client.script('LOAD', body);
const compareAndDelete = await load(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
);
const luaSet = await load("return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])");
const fencedSet = await load(
  "local f = redis.call('INCR', KEYS[2]) local v = redis.call('SET', KEYS[1], f .. ' 1 0 ' .. ARGV[1], 'NX', 'PX', ARGV[2], 'GET') if not v then return {1, f, 1, 0} end return 0",
);
const suffixDelete = await load(
  "local v = redis.call('GET', KEYS[1]) if v and string.sub(v, -#ARGV[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
);
const acquireFair = await load(ACQUIRE_FAIR.body);
const release = await load(RELEASE.body);
const releaseBare = await load(RELEASE_BARE.body);
const acquirePermits = await load(ACQUIRE_PERMITS.body);
const releasePermits = await load(RELEASE_PERMITS.body);
// The same bodies as one Functions library: KEYS and ARGV become the function's parameters.
const fn = (name, script) => `redis.register_function('${name}', function(KEYS, ARGV)\n${script.body}\nend)`;
await client.call(
  'FUNCTION',
  'LOAD',
  'REPLACE',
  [
    '#!lua name=lynxfloor',
    fn('release', RELEASE),
    fn('acquireFair', ACQUIRE_FAIR),
    fn('acquirePermits', ACQUIRE_PERMITS),
    fn('releasePermits', RELEASE_PERMITS),
  ].join('\n'),
);
const fcall = (name, keys, ...args) => client.call('FCALL', name, keys.length, ...keys, ...args);
const P = 'lynx:lock:{floor}:sem';
const permitKeys = [P, `${P}:i`, `${P}:q`, `${P}:qw`, `${P}:fence`];

const K = 'lynx:lock:{floor}';
const fairKeys = [K, `${K}:fence`, `${K}:q`, `${K}:qw`];
let n = 0;
const VARIANTS = {
  'raw: SET NX PX + Lua compare-and-delete': async (t) => {
    await client.set(K, t, 'PX', 10000, 'NX');
    await client.evalsha(compareAndDelete, 1, K, t);
  },
  'the same SET inside a Lua script': async (t) => {
    await client.evalsha(luaSet, 1, K, t, 10000);
    await client.evalsha(compareAndDelete, 1, K, t);
  },
  'minimal fenced: Lua INCR + SET NX PX GET, Lua GET + DEL': async (t) => {
    await client.evalsha(fencedSet, 2, K, `${K}:fence`, t, 10000);
    await client.evalsha(suffixDelete, 1, K, t);
  },
  'ours (lazy fence, the default): SET NX PX + RELEASE_BARE': async (t) => {
    await client.set(K, `0 1 0 ${t}`, 'PX', 10000, 'NX');
    await client.evalsha(releaseBare, 1, K, `0 1 0 ${t}`);
  },
  'the same SET + the full RELEASE (4 keys; what a changed holding runs)': async (t) => {
    await client.set(K, `0 1 0 ${t}`, 'PX', 10000, 'NX');
    await client.evalsha(release, 4, ...fairKeys, t, 86_400_000);
  },
  'ours with fence: true: ACQUIRE_FAIR (minting) + RELEASE': async (t) => {
    await client.evalsha(acquireFair, 5, ...fairKeys, `${K}:w`, t, 10000, 86_400_000, 2000, 'f', '1');
    await client.evalsha(release, 4, ...fairKeys, t, 86_400_000);
  },
  'the same SET + the full RELEASE as a Function (FCALL)': async (t) => {
    await client.set(K, `0 1 0 ${t}`, 'PX', 10000, 'NX');
    await fcall('release', fairKeys, t, 86_400_000);
  },
  'ours with fence: true, both as Functions (FCALL)': async (t) => {
    await fcall('acquireFair', [...fairKeys, `${K}:w`], t, 10000, 86_400_000, 2000, 'f', '1');
    await fcall('release', fairKeys, t, 86_400_000);
  },
  'semaphore permit: ACQUIRE_PERMITS + RELEASE_PERMITS (EVALSHA)': async (t) => {
    await client.evalsha(acquirePermits, 5, ...permitKeys, t, 1, 4, 'm', 10000, 2000, 'f', '0', 86_400_000);
    await client.evalsha(releasePermits, 5, ...permitKeys, 86_400_000, t);
  },
  'semaphore permit, both as Functions (FCALL)': async (t) => {
    await fcall('acquirePermits', permitKeys, t, 1, 4, 'm', 10000, 2000, 'f', '0', 86_400_000);
    await fcall('releasePermits', permitKeys, 86_400_000, t);
  },
};

const samples = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, cycle] of Object.entries(VARIANTS)) {
    for (let i = 0; i < 300; i++) await cycle(`owner-${n++}`);
    const cpu0 = await redisCpu();
    const t0 = performance.now();
    let cycles = 0;
    while (performance.now() - t0 < windowMs) {
      await cycle(`owner-${n++}`);
      cycles++;
    }
    const elapsed = performance.now() - t0;
    const cpu1 = await redisCpu();
    (samples[name] ??= []).push({ opsPerSec: (cycles / elapsed) * 1000, redisUs: ((cpu1 - cpu0) * 1e6) / cycles });
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const [baseName] = Object.keys(VARIANTS);
const base = median(samples[baseName].map((s) => s.opsPerSec));
console.log(
  `| serial cycle, plain ioredis (${rounds} interleaved rounds × ${windowMs} ms, medians) | ops/s | ratio to raw | Redis CPU µs per cycle |`,
);
console.log('|---|---|---|---|');
for (const [name, s] of Object.entries(samples)) {
  const ops = median(s.map((x) => x.opsPerSec));
  console.log(
    `| ${name} | ${Math.round(ops).toLocaleString('en-US')} | ${(ops / base).toFixed(2)}× | ${median(s.map((x) => x.redisUs)).toFixed(1)} |`,
  );
}
await client.quit();
await admin.quit();
await server.stop();
