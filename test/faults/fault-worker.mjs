// One contending client of the fault suite (RELIABILITY.md §4.2). It uses the BUILT library as an app
// would, with `instanceId = pid` so the lock's owner token names the holder (the driver aims faults
// at it). Each critical section does a fenced read-modify-write on the resource redis-server and logs
// every step, with a CLOCK_MONOTONIC timestamp shared by all processes on the box, to a JSONL file.
//
// Config: JSON in env FAULT_WORKER_CONFIG (see run.ts `WorkerConfig`).
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { openSync, writeSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
// FAULT_LIB lets a developer point the workers at another build of the library (default: the built package).
const { LockService, RedisLockModule } = await import(process.env.FAULT_LIB ?? '@lynx-nest/redis-lock');
import { defineResource, wlogEntry } from './resource.mjs';
import { defineRwResource, defineSemResource } from './permit-resource.mjs';

const cfg = JSON.parse(process.env.FAULT_WORKER_CONFIG ?? '{}');
const pid = process.pid;
const fd = openSync(cfg.logPath, 'a');
/** Monotonic ms (CLOCK_MONOTONIC via hrtime: the same clock in every process, unaffected by libfaketime here). */
const now = () => Number(process.hrtime.bigint()) / 1e6;
// With several contenders in the process (cfg.loops), each logs its holder id `hid` (`<pid>.<n>`).
const holders = new AsyncLocalStorage();
const loopsPerProcess = cfg.loops ?? 1;
const log = (ev, fields = {}) =>
  writeSync(fd, JSON.stringify({ t: now(), pid, hid: holders.getStore(), ev, ...fields }) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Seeded PRNG (mulberry32) so key choice is reproducible per worker index.
let seed = (cfg.seed ?? 1) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

class WorkerModule {}
Module({
  imports: [
    RedisLockModule.forRoot({
      ...cfg.lock,
      instanceId: String(pid),
      monitoring: { healthCheckInterval: 0 },
      shutdown: { gracePeriod: '200ms' },
    }),
  ],
})(WorkerModule);

const app = await NestFactory.createApplicationContext(WorkerModule, {
  logger: cfg.verbose ? ['error', 'warn'] : false,
});
const locks = app.get(LockService);
const resourceClient = new Redis({ host: '127.0.0.1', port: cfg.resourcePort, maxRetriesPerRequest: 1 });
resourceClient.on('error', () => undefined);
const resource = defineResource(resourceClient);

// Time each contender slept between busy retries in its current acquisition (by holder id).
const retrySleep = new Map();
locks.events.on('retry', (e) =>
  retrySleep.set(holders.getStore(), (retrySleep.get(holders.getStore()) ?? 0) + e.delayMs),
);
locks.events.on('breaker', (e) => log('breaker', { state: e.state }));

log('ready', { faketime: !!process.env.FAKETIME_TIMESTAMP_FILE });
const fenced = cfg.fenced !== false;
// How the worker gets its fencing token (run.ts --fence): 'lazy' (default) mints it with
// `await handle.getFence()` after the acquire; 'acquire' asks for it inside the acquire (`fence: true`).
const fenceMode = process.env.FAULT_FENCE === 'acquire' ? 'acquire' : 'lazy';

let stopping = false;
process.on('SIGUSR2', () => (stopping = true)); // the driver's "cool-down over"

// The primitive under test (run.ts --primitive): 'mutex' (default), 'rw' (read lock with probability
// cfg.readShare, else write lock) or 'sem' (a semaphore of cfg.permits permits; 2 of them with probability
// cfg.multiShare, else 1).
const primitive = cfg.primitive ?? 'mutex';
const rwResource = primitive === 'rw' ? defineRwResource(resourceClient) : undefined;
const semResource = primitive === 'sem' ? defineSemResource(resourceClient, cfg.permits) : undefined;
const semaphores = new Map();
const semaphoreOf = (key) =>
  semaphores.get(key) ?? semaphores.set(key, locks.semaphore(key, { permits: cfg.permits })).get(key);

/** One acquisition as the primitive asks: the handle, the lock mode ('read' | 'write' | 'sem' | undefined) and permits held. */
async function take(key, options) {
  if (primitive === 'rw') {
    const mode = random() < (cfg.readShare ?? 0.85) ? 'read' : 'write';
    return { handle: await locks.acquire(key, cfg.ttlMs, { ...options, mode }), mode, count: 1 };
  }
  if (primitive === 'sem') {
    const count = cfg.permits > 1 && random() < (cfg.multiShare ?? 0) ? 2 : 1;
    return { handle: await semaphoreOf(key).acquire(count, { ...options, ttl: cfg.ttlMs }), mode: 'sem', count };
  }
  return { handle: await locks.acquire(key, cfg.ttlMs, options), mode: undefined, count: 1 };
}

const readError = (error) => ({ ok: false, error: String(error?.message) });

/** Mutex (and rw writer) section: fenced read, work, fenced write of value + 1. */
async function counterSection(key, token, handle, store) {
  let read;
  try {
    read = await store.read(key, token);
  } catch (error) {
    read = readError(error);
  }
  if (!read.ok)
    log(read.error ? 'resource_error' : 'stale_read_rejected', { key, token, max: read.max, error: read.error });
  await sleep(cfg.csMs);
  if (!handle.isHeld()) log('lost_detected', { key, token, aborted: handle.signal.aborted });
  if (!read.ok) return;
  try {
    const ok = await store.write(key, token, read.value + 1, read.value);
    log(ok ? 'write_ok' : 'stale_write_rejected', { key, token, read: read.value });
  } catch (error) {
    log('resource_error', { key, token, error: String(error?.message) });
  }
}

const mutexStore = {
  read: (key, token) => (fenced ? resource.read(key, token) : resource.readUnfenced(key)),
  write: (key, token, value, read) => {
    const entry = wlogEntry(token, read, value, pid);
    return fenced ? resource.write(key, token, value, entry) : resource.writeUnfenced(key, value, entry);
  },
};
const rwWriterStore = {
  read: (key, token) => rwResource.writerRead(key, token),
  write: (key, token, value, read) => rwResource.write(key, token, value, read, pid),
};

/** Read-lock section: a fenced read at the start and at the end; two accepted reads that differ are torn. */
async function readerSection(key, token, handle) {
  const read = async () => rwResource.read(key, token).catch(readError);
  const first = await read();
  await sleep(cfg.csMs);
  if (!handle.isHeld()) log('lost_detected', { key, token, aborted: handle.signal.aborted });
  const second = first.ok ? await read() : first;
  for (const r of first.ok ? [first, second] : [first])
    if (!r.ok) log(r.error ? 'resource_error' : 'stale_read_rejected', { key, token, max: r.max, error: r.error });
  if (first.ok && second.ok)
    log(first.value === second.value ? 'read_ok' : 'torn_read', {
      key,
      token,
      first: first.value,
      second: second.value,
    });
}

/** Semaphore section: claim `count` slots, work, write every slot, leave. */
async function semSection(key, token, handle, count) {
  const claim = await semResource.claim(key, token, count).catch(readError);
  if (!claim.ok) log(claim.error ? 'resource_error' : 'stale_read_rejected', { key, token, error: claim.error });
  await sleep(cfg.csMs);
  if (!handle.isHeld()) log('lost_detected', { key, token, aborted: handle.signal.aborted });
  if (!claim.ok) return;
  try {
    const ok = await semResource.write(key, token, claim.slots, pid);
    log(ok ? 'write_ok' : 'stale_write_rejected', { key, token, slots: claim.slots });
    await semResource.leave(key, token, claim.slots);
  } catch (error) {
    log('resource_error', { key, token, error: String(error?.message) });
  }
}

/** One contender: take a key, run the section, release, until the run ends. */
async function contend() {
  while (!stopping && now() < (cfg.endAt ?? Infinity)) {
    const key = cfg.keys[Math.floor(random() * cfg.keys.length)];
    const t0 = now();
    retrySleep.set(holders.getStore(), 0);
    let handle;
    let mode;
    let count;
    try {
      ({ handle, mode, count } = await take(key, {
        renewalEnabled: cfg.renewal !== false,
        maxRetries: -1,
        maxElapsedTime: cfg.maxWaitMs,
        retryStrategy: {
          type: 'exponential_backoff',
          initialInterval: cfg.retryInitialMs,
          maxInterval: cfg.retryMaxMs,
        },
        ...cfg.callOptions,
        ...(fenceMode === 'acquire' ? { fence: true } : {}),
      }));
    } catch (error) {
      const t = now();
      // Time spent in commands, without the sleeps between busy retries.
      log('acq_error', {
        key,
        code: error?.code ?? 'other',
        error: error?.constructor?.name,
        ms: t - t0,
        busyMs: t - t0 - (retrySleep.get(holders.getStore()) ?? 0),
        message: String(error?.message).slice(0, 160),
      });
      await sleep(cfg.errorBackoffMs ?? 25);
      continue;
    }
    let token = handle.fence;
    const fenceAtGrant = token !== undefined;
    if (fenceMode === 'acquire' && token === undefined) throw new Error('fence: true, but the acquire minted no token');
    if (primitive !== 'mutex' && token === undefined) throw new Error(`a ${primitive} acquisition without a token`);
    if (token === undefined) {
      try {
        token = await handle.getFence();
      } catch (error) {
        // Lost before the token was minted (LockLostError), or Redis failed: no critical section.
        log('fence_refused', { key, code: error?.code ?? 'other', message: String(error?.message).slice(0, 160) });
        await handle.release().catch(() => undefined);
        continue;
      }
    }
    const t1 = now();
    // fenceAtGrant: false after a wait = handed over in-process (the token came with Redis's later answer).
    log('acquired', { key, token, mode, count, t0, waitMs: t1 - t0, wall: Date.now(), fenceAtGrant });
    // The abort may run in another contender's async context (whoever's timer noticed): name the holder.
    const hid = holders.getStore();
    handle.signal.addEventListener(
      'abort',
      () => log('lost', { key, token, hid, reason: handle.signal.reason?.reason ?? String(handle.signal.reason) }),
      { once: true },
    );

    log('cs_start', { key, token, mode, count });
    if (mode === 'read') await readerSection(key, token, handle);
    else if (mode === 'sem') await semSection(key, token, handle, count);
    else await counterSection(key, token, handle, mode === 'write' ? rwWriterStore : mutexStore);
    log('cs_end', { key, token });
    try {
      const stillOwned = await handle.release();
      log('released', { key, token, ok: stillOwned });
    } catch (error) {
      log('release_error', { key, token, code: error?.code, message: String(error?.message).slice(0, 160) });
    }
    if (cfg.thinkMs) await sleep(cfg.thinkMs * random());
  }
}

// `cfg.loops` contenders in this process (run.ts --loops), each with its own holder id in the log, so
// that with more than one the next holder is often a waiter of the same process (the in-process hand-off).
await Promise.all(
  Array.from({ length: cfg.loops ?? 1 }, (_, i) =>
    holders.run(loopsPerProcess > 1 ? `${pid}.${i}` : undefined, contend),
  ),
);

log('done', { stats: locks.getStatistics() });
resourceClient.disconnect();
await Promise.race([app.close(), sleep(2000)]);
process.exit(0);
