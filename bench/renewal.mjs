// Renewal at scale and heap over many cycles, for our library only.
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { LockService, RedisLockStore, resolveModuleOptions } from './.lib/index.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const gc = () => globalThis.gc?.();
/** A forced GC (for flat-heap samples), returning the CPU µs it took so it can be left out of the CPU share. */
const timedGc = () => {
  const c = process.cpuUsage();
  gc();
  const d = process.cpuUsage(c);
  return d.user + d.system;
};
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

async function service(port, lock = {}) {
  const client = new Redis({ port, host: '127.0.0.1' });
  const store = new RedisLockStore({ client, owned: true });
  const config = resolveModuleOptions({ logging: { level: 'ERROR' }, monitoring: { healthCheckInterval: 0 }, lock });
  const locks = new LockService(config, store);
  await locks.onModuleInit();
  locks.onApplicationBootstrap();
  return { locks, store, close: () => locks.onApplicationShutdown() };
}

/**
 * Holds `locks` locks with renewal on (TTL `ttlMs`, renewed at half of it) for `watchMs`, then reports
 * the process CPU share of one core over the window (without the forced GCs of the heap samples, and
 * with them), CPU µs per renewal, renewals per pipeline, lost locks, and heap samples (after GC when
 * run with --expose-gc).
 */
export async function runRenewalAtScale(port, { locks: count, ttlMs, watchMs }) {
  const { locks, store, close } = await service(port, { renewalInterval: '10s' });
  let pipelines = 0;
  const renewMany = store.renewMany.bind(store);
  store.renewMany = (requests) => {
    pipelines++;
    return renewMany(requests);
  };
  let renewals = 0;
  let lost = 0;
  locks.events.on('renewed', () => renewals++);
  locks.events.on('lost', () => lost++);
  const handles = [];
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(
      [...Array(Math.min(500, count - i)).keys()].map((j) =>
        locks.acquire(`bench:renew:${i + j}`, ttlMs, { renewalEnabled: true }),
      ),
    );
    handles.push(...batch);
  }
  gc();
  const heap = [];
  let gcUs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  renewals = 0;
  pipelines = 0;
  while (performance.now() - t0 < watchMs) {
    await sleep(1000);
    gcUs += timedGc();
    heap.push(mb(process.memoryUsage().heapUsed));
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const held = handles.filter((h) => h.isHeld()).length;
  await Promise.all(handles.map((h) => h.release().catch(() => undefined)));
  await close();
  return {
    locks: count,
    ttlMs,
    watchMs,
    stillHeld: held,
    cpuPercentOfCore: Math.round(((cpu.user + cpu.system - gcUs) / 1000 / wall) * 1000) / 10,
    cpuPercentOfCoreWithForcedGc: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
    cpuUsPerRenewal: renewals ? Math.round(((cpu.user + cpu.system - gcUs) / renewals) * 10) / 10 : null,
    renewals,
    pipelines,
    renewalsPerPipeline: pipelines ? Math.round(renewals / pipelines) : 0,
    lost,
    heapMb: { first: heap[0], last: heap.at(-1), min: Math.min(...heap), max: Math.max(...heap), samples: heap },
    gcExposed: typeof globalThis.gc === 'function',
  };
}

/** `cycles` acquire/release cycles with `workers` parallel workers on their own keys; heap after GC at each tenth. */
export async function runHeapCycles(port, { cycles, workers }) {
  const { locks, close } = await service(port, { renewalEnabled: false, maxRetries: -1 });
  let done = 0;
  let nextSample = cycles / 10;
  const samples = [];
  const t0 = performance.now();
  await Promise.all(
    [...Array(workers).keys()].map(async (w) => {
      while (done < cycles) {
        const handle = await locks.acquire(`bench:heap:${w}`, 10_000);
        await handle.release();
        done++;
        if (done >= nextSample) {
          nextSample += cycles / 10;
          gc();
          samples.push({ cycles: done, heapMb: mb(process.memoryUsage().heapUsed) });
        }
      }
    }),
  );
  const opsPerSec = Math.round(done / ((performance.now() - t0) / 1000));
  const stats = locks.getStatistics();
  await close();
  return {
    cycles: done,
    workers,
    opsPerSec,
    samples,
    activeLocksAtEnd: stats.activeLocks,
    gcExposed: typeof globalThis.gc === 'function',
  };
}
