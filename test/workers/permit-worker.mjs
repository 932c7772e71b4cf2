// Child process for test/permits-multiprocess.e2e-spec.ts: takes a read-write lock or semaphore
// permits in a loop with the BUILT package (as an app would) and records who is inside in Redis with
// atomic scripts, so the test can check the invariants across processes:
//   occ:r / occ:w  readers / writers inside; occ:p permits inside; occ:bad counts violations;
//   occ:maxr / occ:maxp the most readers / permits seen inside at once.
// argv: port, JSON task { role, name, iterations, holdMs, permits?, count?, ttl?, holdForever? }
//   role: 'reader' | 'writer' | 'mixed' (90 % reads) | 'sem'
// Prints one JSON line at the end: { done, waits: [ms...], fences: [...] }.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { LockService, RedisLockModule } from '@lynx-nest/redis-lock';

const port = Number(process.argv[2]);
const task = JSON.parse(process.argv[3]);

class WorkerModule {}
Module({
  imports: [RedisLockModule.forRoot({ addrs: [`127.0.0.1:${port}`], monitoring: { healthCheckInterval: 0 } })],
})(WorkerModule);

const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
const locks = app.get(LockService);
const redis = new Redis({ port, host: '127.0.0.1' });

// enter: KEYS occ:r occ:w occ:p occ:bad occ:maxr occ:maxp; ARGV kind ('r'|'w'|'p'), count, limit
redis.defineCommand('occEnter', {
  numberOfKeys: 6,
  lua: `local r = tonumber(redis.call('GET', KEYS[1]) or '0')
local w = tonumber(redis.call('GET', KEYS[2]) or '0')
local p = tonumber(redis.call('GET', KEYS[3]) or '0')
if ARGV[1] == 'r' then r = redis.call('INCR', KEYS[1]) end
if ARGV[1] == 'w' then w = redis.call('INCR', KEYS[2]) end
if ARGV[1] == 'p' then p = redis.call('INCRBY', KEYS[3], ARGV[2]) end
if w > 1 or (w == 1 and r > 0) or p > tonumber(ARGV[3]) then redis.call('INCR', KEYS[4]) end
if r > tonumber(redis.call('GET', KEYS[5]) or '0') then redis.call('SET', KEYS[5], r) end
if p > tonumber(redis.call('GET', KEYS[6]) or '0') then redis.call('SET', KEYS[6], p) end
return 1`,
});
redis.defineCommand('occLeave', {
  numberOfKeys: 3,
  lua: `if ARGV[1] == 'r' then redis.call('DECR', KEYS[1]) end
if ARGV[1] == 'w' then redis.call('DECR', KEYS[2]) end
if ARGV[1] == 'p' then redis.call('DECRBY', KEYS[3], ARGV[2]) end
return 1`,
});
const occ = (s) => `occ:${task.name}:${s}`;
const enterKeys = [occ('r'), occ('w'), occ('p'), occ('bad'), occ('maxr'), occ('maxp')];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const waits = [];
const fences = [];
const options = { ttl: task.ttl ?? '5s', maxRetries: -1, maxElapsedTime: '60s' };
async function inside(kind, count, limit, lock) {
  waits.push(performance.now() - started);
  fences.push(lock.fence);
  await redis.occEnter(...enterKeys, kind, count, limit);
  await sleep(task.holdMs);
  await redis.occLeave(occ('r'), occ('w'), occ('p'), kind, count);
}
let started = 0;
const sem = task.role === 'sem' ? locks.semaphore(task.name, { permits: task.permits }) : undefined;
if (task.holdForever) {
  // Take the permits (or the write lock), say so, and wait to be killed: a holder that dies.
  if (sem) await sem.acquire(task.count ?? 1, { ...options, renewalEnabled: true });
  else await locks.acquire(task.name, options.ttl, { ...options, mode: 'write', renewalEnabled: true });
  process.stdout.write('held\n');
  await new Promise(() => undefined);
}
for (let i = 0; i < task.iterations; i++) {
  started = performance.now();
  if (sem) {
    const count = task.count ?? 1;
    await sem.withPermits(count, (lock) => inside('p', count, task.permits, lock), options);
  } else {
    const read = task.role === 'reader' || (task.role === 'mixed' && Math.random() < 0.9);
    if (read) await locks.withReadLock(task.name, (lock) => inside('r', 1, 0, lock), options);
    else await locks.withWriteLock(task.name, (lock) => inside('w', 1, 0, lock), options);
  }
}
redis.disconnect();
await app.close();
process.stdout.write(JSON.stringify({ done: task.iterations, waits, fences }) + '\n');
