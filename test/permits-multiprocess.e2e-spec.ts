import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const worker = fileURLToPath(new URL('./workers/permit-worker.mjs', import.meta.url));
const children = new Set<ChildProcess>();

interface Task {
  role: 'reader' | 'writer' | 'mixed' | 'sem';
  name: string;
  iterations?: number;
  holdMs?: number;
  permits?: number;
  count?: number;
  ttl?: string | number;
  holdForever?: boolean;
}
interface Result {
  done: number;
  waits: number[];
  fences: (number | undefined)[];
}

/** Starts a worker process; `result` resolves with its last JSON line, `held` when it prints "held". */
function start(port: number, task: Task): { child: ChildProcess; result: Promise<Result>; held: Promise<void> } {
  const child = spawn(process.execPath, [worker, String(port), JSON.stringify({ iterations: 0, holdMs: 1, ...task })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  let onHeld: () => void;
  const held = new Promise<void>((r) => (onHeld = r));
  child.stdout!.on('data', (chunk) => {
    out += chunk;
    if (out.includes('held\n')) onHeld();
  });
  child.stderr!.on('data', (chunk) => (err += chunk));
  const result = new Promise<Result>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code !== 0) return reject(new Error(`worker exited with ${code ?? signal}\n${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
  result.catch(() => undefined); // a worker the test kills on purpose rejects: handled where awaited
  return { child, result, held };
}

describe('read-write locks and semaphores across processes (real Redis)', () => {
  let redis: RedisServer;
  const count = async (name: string, field: string) => Number((await redis.client().get(`occ:${name}:${field}`)) ?? 0);

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await redis?.stop();
  });

  it('never a writer together with anyone: 4 processes, 90 % reads', async () => {
    const name = 'rw-mixed';
    const runs = [0, 1, 2, 3].map(() => start(redis.port, { role: 'mixed', name, iterations: 40, holdMs: 2 }));
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.done)).toEqual([40, 40, 40, 40]);
    expect(await count(name, 'bad')).toBe(0);
    expect(await count(name, 'maxr')).toBeGreaterThan(1); // readers did share it
  }, 120_000);

  it('no writer starvation: a writer gets in while three processes read back to back', async () => {
    const name = 'rw-starve';
    const readers = [0, 1, 2].map(() => start(redis.port, { role: 'reader', name, iterations: 150, holdMs: 15 }));
    await new Promise((r) => setTimeout(r, 300)); // readers overlap: without writer preference the lock is never free
    const writer = start(redis.port, { role: 'writer', name, iterations: 5, holdMs: 5 });
    const wrote = await writer.result;
    // Starved, the writer would get in only once every reader had finished its run.
    const readersStillRunning = readers.filter((r) => r.child.exitCode === null).length;
    const readersDone = await Promise.all(readers.map((r) => r.result));
    expect(wrote.done).toBe(5);
    expect(readersStillRunning).toBeGreaterThan(0);
    // Each write waited for the readers inside to leave, not for the readers' whole run.
    const readersTotalMs = 150 * 15;
    expect(Math.max(...wrote.waits)).toBeLessThan(readersTotalMs);
    expect(readersDone.every((r) => r.done === 150)).toBe(true);
    expect(await count(name, 'bad')).toBe(0);
  }, 120_000);

  it('never more than N permit holders; a 3-permit request is served among single-permit ones', async () => {
    const name = 'sem-mixed';
    const singles = [0, 1, 2].map(() =>
      start(redis.port, { role: 'sem', name, permits: 4, count: 1, iterations: 60, holdMs: 3 }),
    );
    const triple = start(redis.port, { role: 'sem', name, permits: 4, count: 3, iterations: 10, holdMs: 3 });
    const [big, ...small] = await Promise.all([triple.result, ...singles.map((s) => s.result)]);
    expect(big.done).toBe(10); // not starved by the stream of single-permit requests
    expect(small.map((s) => s.done)).toEqual([60, 60, 60]);
    expect(await count(name, 'bad')).toBe(0);
    expect(await count(name, 'maxp')).toBeLessThanOrEqual(4);
    expect(await count(name, 'maxp')).toBeGreaterThanOrEqual(3);
    // Semaphore tokens of one process only grow (each holding mints a new one).
    const fences = big.fences as number[];
    expect(fences.every((f, i) => i === 0 || f > fences[i - 1])).toBe(true);
  }, 120_000);

  it("a killed holder's permits come back within its TTL", async () => {
    const name = 'sem-dead';
    const holder = start(redis.port, { role: 'sem', name, permits: 2, count: 2, ttl: 1000, holdForever: true });
    await holder.held;
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    const next = start(redis.port, { role: 'sem', name, permits: 2, count: 2, iterations: 1, holdMs: 1, ttl: '5s' });
    const result = await next.result;
    expect(result.done).toBe(1);
    // The TTL is 1 s (renewed while the holder lived); the process start of the next one counts too.
    expect(Date.now() - killedAt).toBeLessThan(1000 + 8000);
    expect(result.waits[0]).toBeLessThan(1000 + 1500);
  }, 60_000);

  it("a killed writer's lock comes back within its TTL", async () => {
    const name = 'rw-dead';
    const holder = start(redis.port, { role: 'writer', name, ttl: 1000, holdForever: true });
    await holder.held;
    holder.child.kill('SIGKILL');
    const next = start(redis.port, { role: 'reader', name, iterations: 1, holdMs: 1 });
    const result = await next.result;
    expect(result.done).toBe(1);
    expect(result.waits[0]).toBeLessThan(1000 + 1500);
  }, 60_000);
});
