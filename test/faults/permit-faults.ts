// The fault suite's read-write lock and semaphore scenarios (issue #16; run.ts --primitive rw|sem).
// Faults are aimed at a holder that is INSIDE its critical section: the driver finds the live holders in
// the permit data (holders ZSET + info hash, store/lock-keys.ts permitKeys) and confirms from the run's
// JSONL log that the holder's last step was `cs_start` with the token it holds.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { permitKeys } from '../../libs/redis-lock/src/store/lock-keys.js';
import { RW_PERMITS } from '../../libs/redis-lock/src/store/permit-store.js';
import { ownerInstance } from '../../libs/redis-lock/src/store/owner-token.js';

/** What the workers take: a mutex (the suite's original mode), a read-write lock or a semaphore. */
export type Primitive = 'mutex' | 'rw' | 'sem';

/** One live holder of a read-write lock or semaphore, as Redis has it. */
export interface PermitHolder {
  pid: number;
  owner: string;
  mode: 'read' | 'write' | 'sem';
  count: number;
  fence: number;
  /** Ms until its holding expires (server clock). */
  pttl: number;
}

/** What these scenarios use of the driver's context (a subset of run.ts `Ctx`). */
export interface PermitCtx {
  event(ev: 'fault' | 'heal' | 'note', fields?: Record<string, unknown>): void;
  lock: () => Redis;
  lockServer?: { restart(): Promise<unknown> };
  logPath: string;
}

/** The shared parameters these scenarios read (run.ts `P`). */
export interface PermitParams {
  ttlMs: number;
  retryMaxMs: number;
  keyPrefix: string;
  keys: string[];
  permits: number;
}

/** A scenario of a permit primitive (the shape of run.ts `Scenario`). */
export interface PermitScenario {
  name: string;
  primitive: 'rw' | 'sem';
  quick?: boolean;
  topology: 'single';
  fault: string;
  expect: Record<string, unknown>;
  run(ctx: PermitCtx): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Live holders of `key` (holders whose expiry, on the server clock, is still ahead). */
export async function permitHolders(
  client: Redis,
  prefix: string,
  key: string,
  family: 'rw' | 'sem',
): Promise<PermitHolder[]> {
  const k = permitKeys(prefix, key, family);
  const [sec, usec] = await client.time();
  const nowMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  const live = await client.zrangebyscore(k.holders, `(${nowMs}`, '+inf', 'WITHSCORES');
  const holders: PermitHolder[] = [];
  for (let i = 0; i < live.length; i += 2) {
    const info = await client.hget(k.info, live[i]);
    if (!info) continue;
    const [count, , fence] = info.split(' ').map(Number);
    holders.push({
      pid: Number(ownerInstance(live[i])),
      owner: live[i],
      mode: family === 'sem' ? 'sem' : count >= RW_PERMITS ? 'write' : 'read',
      count: family === 'sem' ? count : 1,
      fence,
      pttl: Number(live[i + 1]) - nowMs,
    });
  }
  return holders;
}

/** True when `pid`'s last critical-section step in the run's log is the `cs_start` of `token`. */
function insideSection(logPath: string, pid: number, token: number): boolean {
  const marker = `"pid":${pid},`;
  const lines = readFileSync(logPath, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line.includes(marker) || !/"ev":"cs_(start|end)"/.test(line)) continue;
    const e = JSON.parse(line) as { ev: string; token: number };
    return e.ev === 'cs_start' && e.token === token;
  }
  return false;
}

/**
 * Stops (SIGSTOP) a holder of `want` mode that is inside its critical section and still holds after the
 * stop; returns it (the caller continues or kills it). RELIABILITY.md §3.1.
 */
async function stopHolderInSection(
  ctx: PermitCtx,
  params: PermitParams,
  family: 'rw' | 'sem',
  want: PermitHolder['mode'],
  timeoutMs = 15_000,
): Promise<PermitHolder> {
  const key = params.keys[0];
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const candidates = (await permitHolders(ctx.lock(), params.keyPrefix, key, family)).filter(
      (h) => h.mode === want && insideSection(ctx.logPath, h.pid, h.fence),
    );
    const target = candidates[0];
    if (!target) {
      await sleep(3);
      continue;
    }
    process.kill(target.pid, 'SIGSTOP');
    const still = (await permitHolders(ctx.lock(), params.keyPrefix, key, family)).find(
      (h) => h.owner === target.owner,
    );
    if (still) return still;
    process.kill(target.pid, 'SIGCONT');
  }
  throw new Error(`could not catch a ${want} holder of ${key} in its critical section within ${timeoutMs} ms`);
}

/** The read-write lock and semaphore scenarios: holder pause, holder kill, Redis restart (and a baseline). */
export function permitScenarios(params: PermitParams, mustHoldAlways: Record<string, unknown>): PermitScenario[] {
  const key = params.keys[0];
  const pause = (family: 'rw' | 'sem', want: PermitHolder['mode'], pauseMs: number) => async (ctx: PermitCtx) => {
    const h = await stopHolderInSection(ctx, params, family, want);
    ctx.event('fault', { kind: 'sigstop', target: h.pid, pauseMs, pttl: h.pttl, key, mode: h.mode, count: h.count });
    await sleep(pauseMs);
    process.kill(h.pid, 'SIGCONT');
    ctx.event('heal', { kind: 'sigcont', target: h.pid });
    await sleep(500);
  };
  const kill = (family: 'rw' | 'sem', want: PermitHolder['mode']) => async (ctx: PermitCtx) => {
    const h = await stopHolderInSection(ctx, params, family, want);
    process.kill(h.pid, 'SIGKILL');
    ctx.event('fault', { kind: 'kill', target: h.pid, pttl: h.pttl, key, mode: h.mode, count: h.count });
    await sleep(1500);
  };
  const restart = (family: 'rw' | 'sem') => async (ctx: PermitCtx) => {
    const deadline = performance.now() + 10_000;
    while ((await permitHolders(ctx.lock(), params.keyPrefix, key, family)).length === 0) {
      if (performance.now() > deadline) throw new Error(`nobody held ${key} within 10 s`);
      await sleep(5);
    }
    ctx.event('fault', { kind: 'restart' });
    await ctx.lockServer!.restart();
    ctx.event('heal', { kind: 'restarted' });
    await sleep(1000);
  };
  const pauseMs = 3 * params.ttlMs;
  const recoveryBoundMs = params.retryMaxMs + 50;
  const sem = `semaphore of ${params.permits} permits`;
  return [
    {
      name: 'rw-baseline',
      primitive: 'rw',
      topology: 'single',
      fault: 'none (read-write lock)',
      expect: { ...mustHoldAlways, expectNoOverlap: true },
      run: () => sleep(2000),
    },
    {
      name: 'rw-sigstop-writer-3x',
      primitive: 'rw',
      quick: true,
      topology: 'single',
      fault: `writer SIGSTOP 3×TTL (${pauseMs / 1000} s) inside its critical section`,
      expect: { ...mustHoldAlways, requireLostSignal: true },
      run: pause('rw', 'write', pauseMs),
    },
    {
      name: 'rw-sigstop-reader-3x',
      primitive: 'rw',
      topology: 'single',
      fault: `reader SIGSTOP 3×TTL (${pauseMs / 1000} s) inside its critical section`,
      expect: { ...mustHoldAlways, requireLostSignal: true },
      run: pause('rw', 'read', pauseMs),
    },
    {
      name: 'rw-kill-writer',
      primitive: 'rw',
      topology: 'single',
      fault: 'writer kill -9 inside its critical section',
      expect: { ...mustHoldAlways, expectNoOverlap: true, recoveryBoundMs },
      run: kill('rw', 'write'),
    },
    {
      name: 'rw-kill-reader',
      primitive: 'rw',
      topology: 'single',
      fault: 'reader kill -9 inside its critical section (recovery: the next writer)',
      expect: { ...mustHoldAlways, expectNoOverlap: true, recoveryBoundMs },
      run: kill('rw', 'read'),
    },
    {
      name: 'rw-restart',
      primitive: 'rw',
      topology: 'single',
      fault: 'lock redis-server kill -9 + restart, no persistence (read-write lock)',
      expect: { ...mustHoldAlways, requireRecovery: true },
      run: restart('rw'),
    },
    {
      name: 'sem-baseline',
      primitive: 'sem',
      topology: 'single',
      fault: `none (${sem})`,
      expect: { ...mustHoldAlways, expectNoOverlap: true },
      run: () => sleep(2000),
    },
    {
      name: 'sem-sigstop-3x',
      primitive: 'sem',
      quick: true,
      topology: 'single',
      fault: `holder SIGSTOP 3×TTL (${pauseMs / 1000} s) inside its critical section (${sem})`,
      expect: { ...mustHoldAlways, requireLostSignal: true },
      run: pause('sem', 'sem', pauseMs),
    },
    {
      name: 'sem-kill',
      primitive: 'sem',
      topology: 'single',
      fault: `holder kill -9 inside its critical section (${sem}; recovery: its permits in use again)`,
      expect: { ...mustHoldAlways, expectNoOverlap: true, recoveryBoundMs },
      run: kill('sem', 'sem'),
    },
    {
      name: 'sem-restart',
      primitive: 'sem',
      topology: 'single',
      fault: `lock redis-server kill -9 + restart, no persistence (${sem})`,
      expect: { ...mustHoldAlways, requireRecovery: true },
      run: restart('sem'),
    },
  ];
}
