// The benchmark: `npm run bench` (full) or `npm run bench -- --quick` (CI, under 2 minutes).
// Starts a private redis-server, runs every scenario for every adapter that supports its kind
// (interleaved, repeated), and writes bench/results/<mode>-<time>.json, bench/results/latest-<mode>.json
// and a Markdown summary (every figure beside its ratio to the scenario's baseline in the same run:
// raw ioredis for the mutex scenarios, redis-semaphore's Semaphore for the semaphore, our mutex for
// the read-write lock). Exits 1 when a correctness check failed (a mutex overlap, a writer beside
// anyone, more permit holders than permits); timings never fail it.
// Options: --quick, --only=<adapter,...>, --scenarios=<id,...>, --repeats=N, --duration=MS,
// --skip-scale (leave out renewal at scale and the heap-over-cycles run); --render=<result.json>
// prints the Markdown summary of a stored result and exits.
import './command-counter.mjs';
import { fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ADAPTERS, loadAdapter } from './adapters/index.mjs';
import { runLoad } from './load.mjs';
import { startRedis } from './redis-server.mjs';
import { runHeapCycles, runRenewalAtScale } from './renewal.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Map(
  process.argv.slice(2).map((a) => [a.replace(/^--/, '').split('=')[0], a.includes('=') ? a.split('=')[1] : true]),
);
const quick = args.has('quick');
const mode = quick ? 'quick' : 'full';
const repeats = Number(args.get('repeats') ?? (quick ? 2 : 3));
const durationMs = Number(args.get('duration') ?? (quick ? 700 : 4000));
const warmupMs = quick ? 150 : 500;
const adapters = args.has('only') ? String(args.get('only')).split(',') : ADAPTERS;
const TTL_MS = 10_000;
const RETRY_MS = 5;

// `kind` picks the adapters (each lists the kinds it runs) and the checks: 'mutex' scenarios check
// overlapping hold intervals; 'semaphore' and 'rw' count who is inside in-process (bench/load.mjs).
// `baseline`: the adapter the ratios are computed against.
const MUTEX = { kind: 'mutex', baseline: 'raw-ioredis' };
const SCENARIOS = [
  { ...MUTEX, id: 'serial', title: 'uncontended, serial', workers: 1, holdMs: 0, keyOf: (i) => `bench:serial:${i}` },
  {
    ...MUTEX,
    id: 'parallel64',
    title: 'uncontended, 64 parallel workers',
    workers: 64,
    holdMs: 0,
    keyOf: (i) => `bench:par:${i}`,
  },
  {
    ...MUTEX,
    id: 'contended16',
    title: 'contended: 16 workers, one key, hold 1 ms',
    workers: 16,
    holdMs: 1,
    keyOf: () => 'bench:hot',
    contended: true,
  },
  {
    ...MUTEX,
    id: 'contended4x4',
    title: 'contended: 4 processes × 4 workers, one key, hold 1 ms',
    processes: 4,
    workers: 4,
    holdMs: 1,
    key: 'bench:hot4',
    contended: true,
  },
  {
    id: 'semaphore4x16',
    kind: 'semaphore',
    baseline: 'redis-semaphore',
    title: 'semaphore: 4 permits, 16 workers, one name, hold 1 ms',
    workers: 16,
    holdMs: 1,
    permits: 4,
    keyOf: () => 'bench:sem',
    modeOf: () => 'permit',
    note: 'Each worker takes 1 permit; `maxInside` is the most holders seen at once in the process (never above 4).',
  },
  {
    id: 'rw16',
    kind: 'rw',
    baseline: 'ours-mutex',
    title: 'read-write: 16 workers, one key, 90 % reads, hold 1 ms',
    workers: 16,
    holdMs: 1,
    keyOf: () => 'bench:rw',
    // Every 10th operation of each worker writes, staggered by worker: the same sequence for every adapter.
    modeOf: (i, n) => ((n + i) % 10 === 0 ? 'write' : 'read'),
    note: 'The peers have no read-write lock; the baseline `ours-mutex` runs the same operations on our mutex (`withLock`). `maxInside`: most readers at once; `violations`: a writer beside anyone.',
  },
];
const scenarios = args.has('scenarios')
  ? SCENARIOS.filter((s) => String(args.get('scenarios')).split(',').includes(s.id))
  : SCENARIOS;

// ---- statistics ----------------------------------------------------------------------------------
const pct = (sorted, p) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sortNum = (a) => [...a].sort((x, y) => x - y);
const r3 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? v : Math.round(v * 1000) / 1000);

function parseInfo(text) {
  const out = { cmds: {}, cpu: 0 };
  for (const line of text.split('\r\n')) {
    const m = line.match(/^cmdstat_([^:]+):calls=(\d+)/);
    if (m) out.cmds[m[1]] = Number(m[2]);
    const c = line.match(/^used_cpu_(user|sys):([\d.]+)/);
    if (c) out.cpu += Number(c[2]);
  }
  return out;
}
async function redisProbe(client) {
  return parseInfo(await client.info('all'));
}
function serverDiff(after, before) {
  let calls = 0;
  const byName = {};
  for (const [name, n] of Object.entries(after.cmds)) {
    if (name === 'info' || name.startsWith('config') || name === 'flushall') continue;
    const d = n - (before.cmds[name] ?? 0);
    if (d > 0) {
      calls += d;
      byName[name] = d;
    }
  }
  return { calls, byName, cpuUs: (after.cpu - before.cpu) * 1e6 };
}

/** Overlaps (must be 0) and hand-off gaps (release called → next holder holds) from hold intervals. */
function checkIntervals(intervals) {
  const byKey = new Map();
  for (const [key, start, end] of intervals) {
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push([start, end]);
  }
  let overlaps = 0;
  const gaps = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a[0] - b[0]);
    let maxEnd = -Infinity;
    for (const [start, end] of list) {
      if (start < maxEnd) overlaps++;
      else if (Number.isFinite(maxEnd)) gaps.push(start - maxEnd);
      maxEnd = Math.max(maxEnd, end);
    }
  }
  return { overlaps, gaps };
}

/** Waits of one mode (completed and unfinished), sorted. */
function waitsOf(samples, mode) {
  return sortNum([
    ...samples.waits.filter((_, k) => samples.waitModes[k] === mode),
    ...samples.unfinished.filter((_, k) => samples.unfinishedModes[k] === mode),
  ]);
}

/** The read-write and semaphore figures: in-process inside counts, and for 'rw' the waits per mode. */
function sharedFigures(samples, scenario) {
  if (scenario.kind === 'mutex') return {};
  const out = { maxInside: samples.maxInside, violations: samples.violations };
  if (scenario.kind !== 'rw') return out;
  const reads = waitsOf(samples, 'read');
  const writes = waitsOf(samples, 'write');
  const written = samples.waitModes.filter((m) => m === 'write').length;
  return {
    ...out,
    readWaitP50Ms: r3(pct(reads, 50)),
    readWaitP99Ms: r3(pct(reads, 99)),
    writeWaitP50Ms: r3(pct(writes, 50)),
    writeWaitP99Ms: r3(pct(writes, 99)),
    writeWaitMaxMs: r3(writes.at(-1) ?? null),
    writeSharePct: r3((100 * written) / Math.max(1, samples.waitModes.length)),
  };
}

function summarize(samples, server, scenario) {
  const acq = samples.waits.length;
  const waitsAll = sortNum([...samples.waits, ...samples.unfinished]);
  const waits = sortNum(samples.waits);
  const rel = sortNum(samples.releases);
  const exclusive = scenario.kind === 'mutex';
  const { overlaps, gaps } = exclusive ? checkIntervals(samples.intervals) : { overlaps: undefined, gaps: [] };
  const g = sortNum(gaps);
  return {
    acquisitions: acq,
    opsPerSec: r3(acq / (samples.elapsedMs / 1000)),
    acquireP50Ms: r3(pct(waits, 50)),
    acquireP99Ms: r3(pct(waits, 99)),
    releaseP50Ms: r3(pct(rel, 50)),
    releaseP99Ms: r3(pct(rel, 99)),
    waitP50Ms: r3(pct(waitsAll, 50)),
    waitP99Ms: r3(pct(waitsAll, 99)),
    waitMaxMs: r3(waitsAll.at(-1) ?? null),
    unfinishedWaits: samples.unfinished.length,
    starvedWorkers: samples.perWorker.filter((n) => n === 0).length,
    workers: samples.perWorker.length,
    giveUps: samples.giveUps,
    roundTripsPerAcquisition: r3(samples.commands.total / Math.max(1, acq)),
    clientCommands: samples.commands.byName,
    serverCommandsPerAcquisition: r3(server.calls / Math.max(1, acq)),
    serverCommands: server.byName,
    redisCpuUsPerAcquisition: r3(server.cpuUs / Math.max(1, acq)),
    clientCpuUsPerAcquisition: r3(samples.clientCpuUs / Math.max(1, acq)),
    overlaps,
    handOffP50Ms: scenario.contended && exclusive ? r3(pct(g, 50)) : undefined,
    handOffP99Ms: scenario.contended && exclusive ? r3(pct(g, 99)) : undefined,
    // How long the harness's `setTimeout(holdMs)` really held the lock: the same call for every library.
    holdP50Ms:
      scenario.holdMs > 0 ? r3(pct(sortNum(samples.intervals.map(([, start, end]) => end - start)), 50)) : undefined,
    ...sharedFigures(samples, scenario),
  };
}

function mergeSamples(parts) {
  return {
    elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)),
    waits: parts.flatMap((p) => p.waits),
    waitModes: parts.flatMap((p) => p.waitModes),
    releases: parts.flatMap((p) => p.releases),
    intervals: parts.flatMap((p) => p.intervals),
    unfinished: parts.flatMap((p) => p.unfinished),
    unfinishedModes: parts.flatMap((p) => p.unfinishedModes),
    maxInside: Math.max(...parts.map((p) => p.maxInside)),
    violations: parts.reduce((a, p) => a + p.violations, 0),
    giveUps: parts.reduce((a, p) => a + p.giveUps, 0),
    clientCpuUs: parts.reduce((a, p) => a + p.clientCpuUs, 0),
    perWorker: parts.flatMap((p) => p.perWorker),
    commands: parts.reduce(
      (acc, p) => {
        acc.total += p.commands.total;
        for (const [k, v] of Object.entries(p.commands.byName)) acc.byName[k] = (acc.byName[k] ?? 0) + v;
        return acc;
      },
      { total: 0, byName: {} },
    ),
  };
}

// ---- one measured run ----------------------------------------------------------------------------
async function runInProcess(adapterName, scenario, port, admin) {
  const mod = await loadAdapter(adapterName);
  const lib = await mod.create({ port, ttlMs: TTL_MS, retryMs: RETRY_MS });
  const load = {
    workers: scenario.workers,
    holdMs: scenario.holdMs,
    keyOf: scenario.keyOf,
    modeOf: scenario.modeOf,
    permits: scenario.permits,
  };
  const warmup = await runLoad(lib, { ...load, durationMs: warmupMs });
  await new Promise((r) => setTimeout(r, 50));
  const before = await redisProbe(admin);
  let after;
  const samples = await runLoad(lib, {
    ...load,
    durationMs,
    onStop: async () => (after = await redisProbe(admin)),
  });
  // A broken exclusion during the warm-up counts too (its timings are dropped, its correctness is not).
  samples.violations += warmup.violations;
  samples.maxInside = Math.max(samples.maxInside, warmup.maxInside);
  after ??= await redisProbe(admin);
  await Promise.race([lib.close(), new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
  return summarize(samples, serverDiff(after, before), scenario);
}

async function runMultiProcess(adapterName, scenario, port, admin) {
  const options = {
    workers: scenario.workers,
    durationMs,
    holdMs: scenario.holdMs,
    key: scenario.key,
    ttlMs: TTL_MS,
    retryMs: RETRY_MS,
  };
  const children = [];
  for (let i = 0; i < scenario.processes; i++) {
    const child = fork(join(here, 'worker.mjs'), [adapterName, String(port), JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push({
      child,
      ready: new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      }),
      done: new Promise((resolve) => child.on('message', (m) => m.result && resolve(m.result))),
    });
  }
  await Promise.all(children.map((c) => c.ready));
  const before = await redisProbe(admin);
  for (const c of children) c.child.send('go');
  await new Promise((r) => setTimeout(r, durationMs));
  const after = await redisProbe(admin);
  const parts = await Promise.all(children.map((c) => c.done));
  return summarize(mergeSamples(parts), serverDiff(after, before), scenario);
}

function redisBenchmark(port) {
  const run = (clients, n) => {
    const out = spawnSync(
      'redis-benchmark',
      ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-n', String(n), '-c', String(clients), '-q'],
      { encoding: 'utf8' },
    );
    const m = (out.stdout ?? '').match(/SET: ([\d.]+) requests per second/);
    return m ? Number(m[1]) : null;
  };
  return {
    setOpsPerSec50Clients: run(50, quick ? 50_000 : 200_000),
    setOpsPerSecSerial: run(1, quick ? 10_000 : 40_000),
  };
}

// ---- aggregate -------------------------------------------------------------------------------------
function aggregate(runs) {
  const keys = Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'number');
  const out = {};
  for (const k of keys) {
    const values = sortNum(runs.map((r) => r[k]).filter((v) => typeof v === 'number'));
    out[k] = { median: values[Math.floor((values.length - 1) / 2)], min: values[0], max: values.at(-1) };
  }
  return out;
}

/** Each library's medians divided by the scenario baseline's, measured in the same run. */
function withRatios(results) {
  for (const [id, scenario] of Object.entries(results)) {
    const base = scenario[SCENARIOS.find((s) => s.id === id).baseline]?.aggregate;
    if (!base) continue;
    for (const lib of Object.values(scenario)) {
      lib.ratioToBaseline = {};
      for (const [k, v] of Object.entries(lib.aggregate)) {
        const b = base[k]?.median;
        if (typeof b === 'number' && b !== 0 && typeof v.median === 'number') lib.ratioToBaseline[k] = r3(v.median / b);
      }
    }
  }
  return results;
}

// ---- markdown ----------------------------------------------------------------------------------------
const COST = [
  'roundTripsPerAcquisition',
  'serverCommandsPerAcquisition',
  'redisCpuUsPerAcquisition',
  'clientCpuUsPerAcquisition',
];
const COLUMNS = {
  uncontended: ['opsPerSec', 'acquireP50Ms', 'acquireP99Ms', 'releaseP50Ms', 'releaseP99Ms', ...COST, 'overlaps'],
  contended: [
    'opsPerSec',
    'waitP50Ms',
    'waitP99Ms',
    'waitMaxMs',
    'handOffP50Ms',
    'holdP50Ms',
    'starvedWorkers',
    'giveUps',
    ...COST,
    'overlaps',
  ],
  semaphore: [
    'opsPerSec',
    'waitP50Ms',
    'waitP99Ms',
    'waitMaxMs',
    'holdP50Ms',
    'starvedWorkers',
    'giveUps',
    'maxInside',
    'violations',
    ...COST,
  ],
  rw: [
    'opsPerSec',
    'readWaitP50Ms',
    'readWaitP99Ms',
    'writeWaitP50Ms',
    'writeWaitP99Ms',
    'writeWaitMaxMs',
    'writeSharePct',
    'holdP50Ms',
    'starvedWorkers',
    'giveUps',
    'maxInside',
    'violations',
    ...COST,
  ],
};
/** Counts that are checks, not costs: shown without a ratio. */
const NO_RATIO = ['overlaps', 'starvedWorkers', 'giveUps', 'maxInside', 'violations', 'writeSharePct'];
const fmt = (a, digits = 2) => {
  if (!a || a.median === null || a.median === undefined) return '–';
  const f = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toFixed(digits)).toString());
  return a.min === a.max ? f(a.median) : `${f(a.median)} (${f(a.min)}–${f(a.max)})`;
};
function markdown(report) {
  const lines = [];
  lines.push(
    `Mode: **${report.mode}** · ${report.repeats} repeats × ${report.durationMs} ms per scenario · Node ${report.node} · Redis ${report.redisVersion} · ${report.cpus} CPUs · load average at start ${report.loadAverage.join(' / ')}`,
  );
  lines.push('');
  lines.push(
    `redis-benchmark SET ceiling: ${report.ceiling.setOpsPerSec50Clients?.toLocaleString('en-US')} ops/s with 50 clients, ${report.ceiling.setOpsPerSecSerial?.toLocaleString('en-US')} ops/s serial.`,
  );
  for (const [id, libs] of Object.entries(report.results)) {
    const sc = SCENARIOS.find((s) => s.id === id);
    lines.push('', `### ${sc.title}`, '');
    const rated = Object.values(libs).some((l) => l.ratioToBaseline || l.ratioToRaw);
    const base = Object.values(libs).some((l) => l.ratioToBaseline) ? sc.baseline : 'raw-ioredis';
    const about = [rated ? `Ratios (\`· N×\`) are to \`${base}\` in the same run.` : '', sc.note ?? ''];
    if (about.some(Boolean)) lines.push(about.filter(Boolean).join(' '), '');
    const cols = COLUMNS[sc.kind] ?? (sc.contended ? COLUMNS.contended : COLUMNS.uncontended);
    lines.push(`| library | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`);
    for (const [name, lib] of Object.entries(libs)) {
      const cells = cols.map((c) => {
        const ratio = (lib.ratioToBaseline ?? lib.ratioToRaw)?.[c];
        const showRatio = name !== base && ratio !== undefined && !NO_RATIO.includes(c);
        return fmt(lib.aggregate[c]) + (showRatio ? ` · ${ratio}×` : '');
      });
      lines.push(`| ${name} | ${cells.join(' | ')} |`);
    }
  }
  if (report.renewal) {
    lines.push('', '### renewal at scale (ours)', '');
    lines.push(
      '| locks held | TTL (renewed at half) | watched | process CPU, % of one core | with the forced GCs | CPU µs per renewal | renewals | pipelines (round trips) | lost | heap after GC, first → last (min–max) |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of report.renewal) {
      lines.push(
        `| ${r.locks.toLocaleString('en-US')} | ${r.ttlMs / 1000} s | ${r.watchMs / 1000} s | ${r.cpuPercentOfCore} | ${r.cpuPercentOfCoreWithForcedGc} | ${r.cpuUsPerRenewal} | ${r.renewals.toLocaleString('en-US')} | ${r.pipelines} | ${r.lost} | ${r.heapMb.first} → ${r.heapMb.last} MB (${r.heapMb.min}–${r.heapMb.max}) |`,
      );
    }
  }
  if (report.heapCycles) {
    const h = report.heapCycles;
    lines.push('', `### heap over ${h.cycles.toLocaleString('en-US')} acquire/release cycles (ours, 64 workers)`, '');
    lines.push(
      `heap after GC at ${h.samples.map((s) => `${(s.cycles / 1000).toFixed(0)}k: ${s.heapMb} MB`).join(', ')}; ${h.opsPerSec.toLocaleString('en-US')} ops/s.`,
    );
  }
  return lines.join('\n');
}

// ---- main ----------------------------------------------------------------------------------------------
if (args.has('render')) {
  // Re-renders the Markdown summary of a stored result file (no Redis, nothing measured).
  process.stdout.write(markdown(JSON.parse(readFileSync(String(args.get('render')), 'utf8'))) + '\n');
  process.exit(0);
}
const t0 = Date.now();
const redis = await startRedis();
const admin = new Redis({ port: redis.port, host: '127.0.0.1' });
const report = {
  mode,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  startedAt: new Date().toISOString(),
  node: process.version,
  redisVersion: (await admin.info('server')).match(/redis_version:(\S+)/)?.[1],
  cpus: cpus().length,
  loadAverage: loadavg().map((v) => v.toFixed(2)),
  repeats,
  durationMs,
  ttlMs: TTL_MS,
  retryMs: RETRY_MS,
  ceiling: redisBenchmark(redis.port),
  results: {},
};
console.error(
  `bench (${mode}): redis-server pid ${redis.pid} port ${redis.port}; SET ceiling ${JSON.stringify(report.ceiling)}`,
);
const raw = {};
const kindsOf = Object.fromEntries(
  await Promise.all(adapters.map(async (name) => [name, (await loadAdapter(name)).kinds ?? ['mutex']])),
);
try {
  for (let rep = 0; rep < repeats; rep++) {
    for (const scenario of scenarios) {
      for (const name of adapters.filter((n) => kindsOf[n].includes(scenario.kind))) {
        await admin.flushall();
        const result = scenario.processes
          ? await runMultiProcess(name, scenario, redis.port, admin)
          : await runInProcess(name, scenario, redis.port, admin);
        ((raw[scenario.id] ??= {})[name] ??= []).push(result);
        console.error(
          `[${rep + 1}/${repeats}] ${scenario.id.padEnd(12)} ${name.padEnd(16)} ${String(result.opsPerSec).padStart(9)} ops/s  wait p99 ${result.waitP99Ms} ms max ${result.waitMaxMs} ms  starved ${result.starvedWorkers}  give-ups ${result.giveUps}  rt/acq ${result.roundTripsPerAcquisition}  ${scenario.kind === 'mutex' ? `overlaps ${result.overlaps}` : `maxInside ${result.maxInside}  violations ${result.violations}`}`,
        );
      }
    }
  }
  for (const [id, libs] of Object.entries(raw)) {
    report.results[id] = {};
    for (const [name, runs] of Object.entries(libs)) report.results[id][name] = { aggregate: aggregate(runs), runs };
  }
  withRatios(report.results);
  if (!args.has('skip-scale') && (!args.has('only') || adapters.includes('ours'))) {
    await admin.flushall();
    report.renewal = [];
    for (const ttlMs of quick ? [2000] : [30_000, 10_000, 2000]) {
      await admin.flushall();
      const r = await runRenewalAtScale(redis.port, {
        locks: quick ? 1000 : 10_000,
        ttlMs,
        watchMs: quick ? 5000 : ttlMs === 30_000 ? 32_000 : 20_000,
      });
      r.scaledDown = quick
        ? 'quick mode: 1,000 locks for 5 s (full run: 10,000 locks, TTL 30 s / 10 s / 2 s)'
        : undefined;
      report.renewal.push(r);
      console.error(`renewal: ${JSON.stringify(r)}`);
    }
    await admin.flushall();
    report.heapCycles = await runHeapCycles(redis.port, { cycles: quick ? 50_000 : 1_000_000, workers: 64 });
    report.heapCycles.scaledDown = quick ? 'quick mode: 50,000 cycles (full run: 1,000,000)' : undefined;
    console.error(`heap: ${JSON.stringify(report.heapCycles)}`);
  }
} finally {
  admin.disconnect();
  await redis.stop();
}
report.totalSeconds = Math.round((Date.now() - t0) / 1000);
const allRuns = (id) => Object.values(report.results[id]).flatMap((l) => l.runs);
const total = (field) =>
  Object.keys(report.results)
    .flatMap((id) => allRuns(id).map((r) => r[field] ?? 0))
    .reduce((a, b) => a + b, 0);
const overlaps = total('overlaps');
const violations = total('violations');
// Belt and braces: the in-process count also reports above the permits as violations.
const overfull = Object.keys(report.results).filter((id) => {
  const permits = SCENARIOS.find((s) => s.id === id).permits;
  return permits !== undefined && allRuns(id).some((r) => r.maxInside > permits);
});
report.overlapsTotal = overlaps;
report.violationsTotal = violations;
const md = markdown(report);
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const stamp = report.startedAt.replace(/[:.]/g, '-');
if (!quick) writeFileSync(join(dir, `${mode}-${stamp}.json`), JSON.stringify(report, null, 2));
writeFileSync(join(dir, `latest-${mode}.json`), JSON.stringify(report, null, 2));
writeFileSync(join(dir, `latest-${mode}.md`), md + '\n');
console.log(md);
console.log(`\nbench: ${report.totalSeconds} s; results in bench/results/latest-${mode}.json`);
if (overlaps > 0) console.error(`bench: ${overlaps} overlapping critical sections: mutual exclusion was violated`);
if (violations > 0) console.error(`bench: ${violations} violations: a writer beside anyone or too many permit holders`);
if (overfull.length > 0) console.error(`bench: more holders than permits in ${overfull.join(', ')}`);
process.exit(overlaps > 0 || violations > 0 || overfull.length > 0 ? 1 : 0);
