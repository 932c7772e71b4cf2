// The fault-injection suite's driver (RELIABILITY.md §3–4). Run it with
//   npm run test:faults               (every scenario, ~4 min)
//   npm run test:faults -- --quick    (CI smoke subset: baseline, SIGSTOP holder, kill holder, restart,
//                                      rw-sigstop-writer-3x, sem-sigstop-3x; ~1 min)
//   npm run test:faults -- --quick --fence acquire   (tokens minted in the acquire; default: getFence())
//   npm run test:faults -- --only sigstop-3x,kill   --write-docs   (update the table in docs/reliability.md)
//   npm run test:faults -- --primitive rw   (read-write lock scenarios; sem: semaphore; mutex: the original ones)
//   npm run test:faults -- --quick --loops 2   (2 contenders per worker process: many hand-offs stay in one
//                                      process, the in-process hand-off of docs/fair-locking.md)
// Each scenario starts its own private redis-servers (lock topology + a separate "resource" server),
// N worker processes (fault-worker.mjs, the BUILT library), runs warm-up → fault → heal → cool-down,
// and hands the JSONL event log and the resource's write logs to checker.mjs. Exit code 1 when any
// "must hold" line is violated.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, waitForPing, type RedisServer } from '../support/redis-server.js';
import { startCluster, startSentinel, waitUntil } from '../support/redis-topologies.js';
// @ts-expect-error plain ESM helpers of the suite
import { checkRun } from './checker.mjs';
// @ts-expect-error plain ESM helpers of the suite
import { FaultProxy } from './fault-proxy.mjs';
// @ts-expect-error plain ESM helpers of the suite
import { resourceKeys } from './resource.mjs';
// @ts-expect-error plain ESM helpers of the suite
import { semSlotKeys } from './permit-resource.mjs';
import { permitScenarios, type Primitive } from './permit-faults.js';
import { ownerOf } from '../support/lock-value.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const workerPath = fileURLToPath(new URL('./fault-worker.mjs', import.meta.url));
const outDir = join(root, 'test-results', 'faults');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- parameters shared by every run -------------------------------------------------------------
const P = {
  workers: 4,
  keys: ['k0'],
  ttlMs: 600,
  csMs: 100,
  commandTimeoutMs: 200,
  retryInitialMs: 20,
  retryMaxMs: 100,
  maxWaitMs: 5000,
  warmupMs: 1000,
  cooldownMs: 1500,
  breakerResetMs: 250,
  keyPrefix: 'lynx:lock:',
  /** Semaphore scenarios: permits of the semaphore (4 workers contend). */
  permits: 2,
  /** Semaphore scenarios: share of requests for 2 permits (else 1). */
  multiShare: 0.2,
  /** Read-write lock scenarios: share of read-lock requests (else write). */
  readShare: 0.85,
};
const lockKey = (k: string) => `${P.keyPrefix}{${k}}`;

type Topology = 'single' | 'single+proxies' | 'replicated-netns' | 'sentinel' | 'cluster';

interface Ctx {
  /** Logs a driver event into the run's JSONL file. */
  event(ev: 'fault' | 'heal' | 'note', fields?: Record<string, unknown>): void;
  /** A client on the lock Redis (single topologies). */
  lock: () => Redis;
  lockServer?: RedisServer;
  proxies: Map<number, FaultProxy>;
  workers: ChildProcess[];
  /** Pid of the current holder of `key` (waits until someone holds it). */
  holder(key?: string): Promise<{ pid: number; owner: string }>;
  // Per-topology handles (master, sentinel, cluster, …): each scenario reads the ones its topology's
  // setup put there; typing them per topology would not catch more than the scenario's own run does.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  extra: Record<string, any>;
  faketimeFile?: string;
  /** The run's JSONL log (the permit scenarios read it to aim at a holder inside its critical section). */
  logPath: string;
}

/** One line of the run's JSONL log (driver and worker events); `checkRun` reads the rest of each. */
type FaultEvent = { ev: string; t: number; pid?: number; wall?: number; state?: string };

interface Scenario {
  name: string;
  /** What the workers take (default mutex). */
  primitive?: Primitive;
  quick?: boolean;
  topology: Topology;
  fault: string;
  fenced?: boolean;
  faketime?: boolean;
  /** Overrides of the shared parameters for this scenario (TTL, critical section, ...). */
  params?: Partial<typeof P>;
  /** Per-call lock options of the workers (e.g. `{ fair: false }`). */
  callOptions?: Record<string, unknown>;
  expect: Record<string, unknown>;
  run(ctx: Ctx): Promise<void>;
}

const holderFrom = async (client: Redis, key: string, timeoutMs = 5000): Promise<{ pid: number; owner: string }> => {
  const deadline = now() + timeoutMs;
  for (;;) {
    const owner = ownerOf(await client.get(lockKey(key)).catch(() => null));
    if (owner) return { pid: Number(owner.split(':')[0]), owner };
    if (now() > deadline) throw new Error(`nobody held ${key} within ${timeoutMs} ms`);
    await sleep(5);
  }
};

/** SIGSTOP the current holder for `pauseMs` (RELIABILITY.md §3.1): confirm it still holds after the STOP, else retry. */
async function pauseHolder(ctx: Ctx, pauseMs: number): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { pid, owner } = await ctx.holder();
    process.kill(pid, 'SIGSTOP');
    const still = ownerOf(await ctx.lock().get(lockKey(P.keys[0])));
    if (still !== owner) {
      process.kill(pid, 'SIGCONT');
      continue;
    }
    const pttl = await ctx.lock().pttl(lockKey(P.keys[0]));
    ctx.event('fault', { kind: 'sigstop', target: pid, pauseMs, pttl, key: P.keys[0] });
    await sleep(pauseMs);
    process.kill(pid, 'SIGCONT');
    ctx.event('heal', { kind: 'sigcont', target: pid });
    return;
  }
  throw new Error('could not catch a holder in its critical section');
}

// A failing acquire() reports LockBackendError within the command timeout of the command that got no answer
// (when Redis stops answering right after a busy reply, the timed-out release-channel subscription is that
// command), so the bound checked is 1 × commandTimeout (+ scheduling slack).
const mustHoldAlways = { commandTimeoutMs: P.commandTimeoutMs, failFastSlackMs: 150 };

const SCENARIOS: Scenario[] = [
  {
    name: 'baseline',
    quick: true,
    topology: 'single',
    fault: 'none',
    expect: { ...mustHoldAlways, expectNoOverlap: true },
    async run() {
      await sleep(2000);
    },
  },
  {
    name: 'sigstop-0.5x',
    topology: 'single',
    fault: 'holder SIGSTOP 0.5×TTL (300 ms)',
    expect: { ...mustHoldAlways, expectNoOverlap: true, requireLostSignal: true },
    run: (ctx) => pauseHolder(ctx, 0.5 * P.ttlMs),
  },
  {
    name: 'sigstop-1x',
    topology: 'single',
    fault: 'holder SIGSTOP 1×TTL (600 ms)',
    expect: { ...mustHoldAlways, requireLostSignal: true },
    run: (ctx) => pauseHolder(ctx, P.ttlMs),
  },
  {
    name: 'sigstop-3x',
    quick: true,
    topology: 'single',
    fault: 'holder SIGSTOP 3×TTL (1.8 s)',
    expect: { ...mustHoldAlways, requireLostSignal: true },
    run: (ctx) => pauseHolder(ctx, 3 * P.ttlMs),
  },
  {
    name: 'sigstop-3x-unfenced',
    topology: 'single',
    fault: 'holder SIGSTOP 3×TTL, resource WITHOUT fencing (comparison)',
    fenced: false,
    expect: { ...mustHoldAlways, fenced: false, requireLostSignal: true },
    run: (ctx) => pauseHolder(ctx, 3 * P.ttlMs),
  },
  {
    name: 'kill',
    quick: true,
    topology: 'single',
    fault: 'holder kill -9',
    expect: { ...mustHoldAlways, expectNoOverlap: true, recoveryBoundMs: P.retryMaxMs + 50 },
    async run(ctx) {
      const { pid } = await ctx.holder();
      const pttl = await ctx.lock().pttl(lockKey(P.keys[0]));
      process.kill(pid, 'SIGKILL');
      ctx.event('fault', { kind: 'kill', target: pid, pttl, key: P.keys[0] });
      await sleep(1500);
    },
  },
  {
    name: 'restart',
    quick: true,
    topology: 'single',
    fault: 'lock redis-server kill -9 + restart, no persistence',
    expect: { ...mustHoldAlways, requireRecovery: true },
    async run(ctx) {
      await ctx.holder();
      ctx.event('fault', { kind: 'restart' });
      await ctx.lockServer!.restart();
      ctx.event('heal', { kind: 'restarted' });
      await sleep(500);
    },
  },
  {
    name: 'client-pause',
    topology: 'single',
    fault: 'CLIENT PAUSE ALL 400 ms (< TTL, > command timeout)',
    expect: { ...mustHoldAlways, expectNoOverlap: true, requireLostSignal: true, requireRecovery: true },
    async run(ctx) {
      await ctx.holder();
      await ctx.lock().call('CLIENT', 'PAUSE', '400', 'ALL');
      ctx.event('fault', { kind: 'client-pause', ms: 400 });
      await sleep(400);
      ctx.event('heal', { kind: 'unpaused' });
      await sleep(500);
    },
  },
  {
    name: 'client-pause-3x',
    topology: 'single',
    fault: 'CLIENT PAUSE ALL 1.8 s (3×TTL)',
    expect: { ...mustHoldAlways, requireLostSignal: true, requireRecovery: true },
    async run(ctx) {
      await ctx.holder();
      if (process.env.FAULT_DEBUG) {
        const mon = await ctx.lock().monitor();
        mon.on('monitor', (time: string, args: string[], source: string) =>
          ctx.event('note', { monitor: args.map((a) => a.slice(0, 60)).join(' '), source }),
        );
        setTimeout(() => mon.disconnect(), 6000);
      }
      await ctx.lock().call('CLIENT', 'PAUSE', String(3 * P.ttlMs), 'ALL');
      ctx.event('fault', { kind: 'client-pause', ms: 3 * P.ttlMs });
      await sleep(3 * P.ttlMs);
      ctx.event('heal', { kind: 'unpaused' });
      // Long enough to see recovery: queued waiters whose calls already failed may be handed the lock first (docs/reliability.md).
      for (let i = 0; i < 30; i++) {
        await sleep(100);
        if (process.env.FAULT_DEBUG)
          ctx.event('note', {
            owner: ownerOf(await ctx.lock().get(lockKey(P.keys[0]))),
            pttl: await ctx.lock().pttl(lockKey(P.keys[0])),
          });
      }
    },
  },
  {
    name: 'client-pause-3x-nonfair',
    topology: 'single',
    fault: 'CLIENT PAUSE ALL 1.8 s (3×TTL), workers with `fair: false`',
    callOptions: { fair: false },
    expect: { ...mustHoldAlways, requireLostSignal: true, requireRecovery: true },
    async run(ctx) {
      await ctx.holder();
      await ctx.lock().call('CLIENT', 'PAUSE', String(3 * P.ttlMs), 'ALL');
      ctx.event('fault', { kind: 'client-pause', ms: 3 * P.ttlMs });
      await sleep(3 * P.ttlMs);
      ctx.event('heal', { kind: 'unpaused' });
      await sleep(3000);
    },
  },
  {
    name: 'proxy-stall-holder',
    topology: 'single+proxies',
    fault: "TCP proxy stall of the holder's connections 3×TTL (asymmetric partition)",
    expect: { ...mustHoldAlways, requireLostSignal: true, requireRecovery: true },
    async run(ctx) {
      const { pid } = await ctx.holder();
      const proxy = ctx.proxies.get(pid)!;
      proxy.stall();
      ctx.event('fault', { kind: 'stall', target: pid, ms: 3 * P.ttlMs });
      await sleep(3 * P.ttlMs);
      proxy.pass();
      ctx.event('heal', { kind: 'pass', target: pid });
      await sleep(500);
    },
  },
  ...(['fair', 'nonfair'] as const).map((variant): Scenario => ({
    name: variant === 'fair' ? 'proxy-stall-all' : 'proxy-stall-all-nonfair',
    callOptions: variant === 'fair' ? undefined : { fair: false },
    topology: 'single+proxies',
    fault: `TCP proxy stall of every client 1 s (Redis unreachable)${variant === 'fair' ? '' : ', workers with fair: false'}`,
    expect: { ...mustHoldAlways, requireLostSignal: true, requireRecovery: true },
    async run(ctx) {
      await ctx.holder();
      for (const proxy of ctx.proxies.values()) proxy.stall();
      ctx.event('fault', { kind: 'stall-all', ms: 1000 });
      await sleep(1000);
      for (const proxy of ctx.proxies.values()) proxy.pass();
      ctx.event('heal', { kind: 'pass' });
      await sleep(500);
    },
  })),
  ...(['fair', 'nonfair'] as const).map((variant): Scenario => ({
    name: variant === 'fair' ? 'proxy-delay' : 'proxy-delay-nonfair',
    callOptions: variant === 'fair' ? undefined : { fair: false },
    topology: 'single+proxies',
    fault: `TCP proxy adds 50 ms per chunk each way for 2 s (RTT +100 ms, < command timeout)${variant === 'fair' ? '' : ', workers with fair: false'}`,
    expect: { ...mustHoldAlways, expectNoOverlap: true, requireLostSignal: true },
    async run(ctx) {
      for (const proxy of ctx.proxies.values()) proxy.delay(50);
      ctx.event('fault', { kind: 'delay', ms: 50 });
      await sleep(2000);
      for (const proxy of ctx.proxies.values()) proxy.pass();
      ctx.event('heal', { kind: 'pass' });
    },
  })),
  ...(['fair', 'nonfair'] as const).map((variant): Scenario => ({
    name: variant === 'fair' ? 'failover-lost-lock' : 'failover-lost-lock-nonfair',
    callOptions: variant === 'fair' ? undefined : { fair: false },
    topology: 'replicated-netns',
    fault: `replication cut (nftables, private netns), lock taken on master, master kill -9, replica promoted; TTL 1 s renewed by the watchdog, critical section 2.5 s${variant === 'fair' ? '' : ', workers with fair: false'}`,
    params: { ttlMs: 1000, csMs: 2500 },
    expect: { ...mustHoldAlways, requireRecovery: true },
    async run(ctx) {
      const { master, replicaPort, vip, replicaClient, nftTable } = ctx.extra;
      // Cut right after a new holder took the lock, so it still has most of its critical section ahead.
      const first = (await ctx.holder()).owner;
      await waitUntil(
        'a new holder',
        async () => (ownerOf(await ctx.lock().get(lockKey(P.keys[0]))) ?? first) !== first,
        10_000,
      );
      // Cut only the master -> replica replication stream (RELIABILITY.md §3.6).
      execFileSync('nft', ['add', 'table', 'inet', nftTable]);
      execFileSync('nft', ['add', 'chain', 'inet', nftTable, 'out', '{ type filter hook output priority 0; }']);
      execFileSync('nft', [
        'add',
        'rule',
        'inet',
        nftTable,
        'out',
        'ip',
        'saddr',
        '127.0.0.1',
        'tcp',
        'sport',
        String(master.port),
        'ip',
        'daddr',
        '127.0.0.2',
        'drop',
      ]);
      ctx.event('note', { kind: 'replication-cut' });
      // Wait until the master holds a lock the replica never saw, and the replica's last copy (of an earlier
      // holder, whose release was not replicated either) has expired: the promoted replica then has no lock at all.
      let lost = false;
      for (let i = 0; i < 400 && !lost; i++) {
        await sleep(10);
        const onMaster = ownerOf(await ctx.lock().get(lockKey(P.keys[0])));
        const onReplica = ownerOf(await replicaClient.get(lockKey(P.keys[0])));
        lost = !!onMaster && onReplica === null;
      }
      const { pid } = await ctx.holder();
      await master.kill();
      await replicaClient.call('REPLICAOF', 'NO', 'ONE');
      vip.retarget(replicaPort, '127.0.0.2');
      vip.reset();
      ctx.event('fault', { kind: 'failover', holder: pid, lockMissingOnReplica: lost });
      ctx.extra.lockMissingOnReplica = lost;
      ctx.event('heal', { kind: 'promoted' });
      await sleep(3000);
    },
  })),
  {
    name: 'sentinel-failover',
    topology: 'sentinel',
    fault: 'Sentinel: master kill -9, automatic failover (down-after 1 s)',
    // A failover is not a pause: ioredis' own failover handling (Sentinel reconnects, Cluster redirection
    // retries) decides how long a failing call takes; reported, not bounded.
    expect: { requireRecovery: true },
    async run(ctx) {
      const sentinel = ctx.extra.sentinel;
      const from = await sentinel.currentMasterPort();
      const master = sentinel.dataNodes.find((s: RedisServer) => s.port === from);
      await ctx.holder();
      await master.kill();
      ctx.event('fault', { kind: 'kill-master', port: from });
      await waitUntil(
        'Sentinel to promote a replica',
        async () => (await sentinel.currentMasterPort()) !== from,
        20_000,
      );
      ctx.event('heal', { kind: 'switch-master', to: await sentinel.currentMasterPort() });
      await sleep(1000);
    },
  },
  {
    name: 'cluster-failover',
    topology: 'cluster',
    fault: "Cluster 3×(1+1): kill -9 of the key's master, replica promoted (node timeout 1 s)",
    // A failover is not a pause: ioredis' own failover handling (Sentinel reconnects, Cluster redirection
    // retries) decides how long a failing call takes; reported, not bounded.
    expect: { requireRecovery: true },
    async run(ctx) {
      const cluster = ctx.extra.cluster;
      const master = await cluster.masterOf(lockKey(P.keys[0]));
      await ctx.holder();
      await master.server.kill();
      ctx.event('fault', { kind: 'kill-master', port: master.server.port });
      await waitUntil(
        'the cluster to promote a replica',
        async () => (await cluster.masterOf(lockKey(P.keys[0]))).server.port !== master.server.port,
        20_000,
      );
      ctx.event('heal', { kind: 'promoted' });
      await sleep(1500);
    },
  },
  {
    name: 'faketime-jumps',
    topology: 'single',
    faketime: true,
    fault: 'every client wall clock jumps +30 s, then −60 s (libfaketime; monotonic untouched)',
    expect: { ...mustHoldAlways, expectNoOverlap: true, requireLostSignal: true },
    async run(ctx) {
      writeFileSync(ctx.faketimeFile!, '+30s\n');
      ctx.event('fault', { kind: 'clock', step: '+30s' });
      await sleep(1000);
      writeFileSync(ctx.faketimeFile!, '-30s\n');
      ctx.event('note', { kind: 'clock', step: '-60s' });
      await sleep(1000);
      writeFileSync(ctx.faketimeFile!, '+0\n');
      ctx.event('heal', { kind: 'clock', step: '+30s (back to real time)' });
    },
  },
  ...permitScenarios(P, mustHoldAlways),
];

// ---- one run -------------------------------------------------------------------------------------

interface RunResult {
  name: string;
  primitive?: Primitive;
  topology: Topology;
  fault: string;
  fenced: boolean;
  metrics: Record<string, number | null>;
  violations: string[];
  notes: string[];
  overlaps: unknown[];
  seconds: number;
  skipped?: string;
}

function faketimeLibrary(): string | undefined {
  for (const p of [
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/faketime/libfaketime.so.1',
  ]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function runScenario(s: Scenario, seed: number): Promise<RunResult> {
  const started = now();
  const p = { ...P, ...s.params };
  mkdirSync(outDir, { recursive: true });
  const logPath = join(outDir, `${s.name}.jsonl`);
  rmSync(logPath, { force: true });
  const event = (ev: string, fields: Record<string, unknown> = {}) =>
    appendFileSync(logPath, JSON.stringify({ t: now(), pid: process.pid, ev, ...fields }) + '\n');
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const notes: string[] = [];
  const clients: Redis[] = [];
  const newClient = (port: number, host = '127.0.0.1') => {
    const c = new Redis({ port, host, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const wall0 = Date.now();
  const mono0 = now();
  const workers: ChildProcess[] = [];
  const stderrOf = new Map<ChildProcess, () => string>();
  try {
    const resource = await startRedisServer();
    cleanups.push(() => resource.stop());
    const resourceClient = newClient(resource.port);

    const ctx: Ctx = {
      event,
      lock: () => {
        throw new Error('no lock client');
      },
      proxies: new Map(),
      workers,
      holder: async () => {
        throw new Error('no holder lookup');
      },
      extra: {},
      logPath,
    };
    let lockOptions: Record<string, unknown>;
    let workerProxy: (() => Promise<FaultProxy>) | undefined;

    if (s.topology === 'single' || s.topology === 'single+proxies') {
      const server = await startRedisServer();
      cleanups.push(() => server.stop());
      ctx.lockServer = server;
      let c = newClient(server.port);
      ctx.lock = () => {
        if (c.status === 'end') c = newClient(server.port);
        return c;
      };
      lockOptions = { addrs: [`127.0.0.1:${server.port}`] };
      if (s.topology === 'single+proxies') {
        workerProxy = async () => {
          const proxy = new FaultProxy({ targetPort: server.port });
          await proxy.listen();
          cleanups.push(() => proxy.close());
          return proxy;
        };
      }
    } else if (s.topology === 'replicated-netns') {
      // We are inside a private network namespace (see main()); the replica listens on 127.0.0.2.
      const master = await startRedisServer({ args: ['--protected-mode', 'no'] });
      cleanups.push(() => master.stop());
      const replicaPort = await freePort();
      const dir = join(master.dir, 'replica');
      mkdirSync(dir, { recursive: true });
      const replica = spawn(
        'redis-server',
        [
          '--port',
          String(replicaPort),
          '--bind',
          '127.0.0.2',
          '--bind-source-addr',
          '127.0.0.2',
          '--protected-mode',
          'no',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--replicaof',
          '127.0.0.1',
          String(master.port),
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore' },
      );
      cleanups.push(() => replica.kill('SIGKILL'));
      await waitForPing(replicaPort, 10_000, '127.0.0.2');
      const replicaClient = newClient(replicaPort, '127.0.0.2');
      await waitUntil('replica in sync', async () =>
        /master_link_status:up/.test(await replicaClient.info('replication')),
      );
      const vip = new FaultProxy({ targetPort: master.port });
      await vip.listen();
      cleanups.push(() => vip.close());
      const nftTable = `lockfi${process.pid}`;
      cleanups.push(() => spawnSync('nft', ['delete', 'table', 'inet', nftTable]));
      const c = newClient(master.port);
      ctx.lock = () => c;
      ctx.extra = { master, replicaPort, vip, replicaClient, nftTable };
      lockOptions = { addrs: [`127.0.0.1:${vip.port}`] };
      // After the failover the driver reads the lock state from the promoted replica.
      ctx.holder = async (key = P.keys[0]) => holderFrom(master.running ? c : replicaClient, key);
    } else if (s.topology === 'sentinel') {
      const sentinel = await startSentinel({ replicas: 1, sentinels: 3, downAfterMs: 1000 });
      cleanups.push(() => sentinel.stop());
      ctx.extra.sentinel = sentinel;
      const masterClient = async () => newClient(await sentinel.currentMasterPort());
      let c = await masterClient();
      ctx.lock = () => c;
      ctx.holder = async (key = P.keys[0]) => {
        c = await masterClient();
        return holderFrom(c, key);
      };
      lockOptions = { mode: 'sentinel', sentinels: sentinel.sentinelAddrs, masterName: sentinel.masterName };
    } else {
      const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
      cleanups.push(() => cluster.stop());
      ctx.extra.cluster = cluster;
      ctx.holder = async (key = P.keys[0]) =>
        holderFrom(newClient((await cluster.masterOf(lockKey(key))).server.port), key);
      ctx.lock = () => {
        throw new Error('use holder() in cluster mode');
      };
      lockOptions = { mode: 'cluster', addrs: cluster.addrs };
    }
    if (s.topology === 'single' || s.topology === 'single+proxies')
      ctx.holder = (key = P.keys[0]) => holderFrom(ctx.lock(), key);

    // ---- workers
    let ftFile: string | undefined;
    const ftLib = s.faketime ? faketimeLibrary() : undefined;
    if (s.faketime) {
      if (!ftLib)
        return {
          name: s.name,
          topology: s.topology,
          fault: s.fault,
          fenced: s.fenced !== false,
          metrics: {},
          violations: [],
          notes: [],
          overlaps: [],
          seconds: 0,
          skipped: 'libfaketime is not installed (apt-get install -y faketime)',
        };
      ftFile = join(outDir, `${s.name}.faketime`);
      writeFileSync(ftFile, '+0\n');
      ctx.faketimeFile = ftFile;
    }
    for (let i = 0; i < P.workers; i++) {
      const proxy = workerProxy ? await workerProxy() : undefined;
      const addr = proxy ? `127.0.0.1:${proxy.port}` : undefined;
      const config = {
        logPath,
        resourcePort: resource.port,
        keys: P.keys,
        ttlMs: p.ttlMs,
        csMs: p.csMs,
        maxWaitMs: p.maxWaitMs,
        retryInitialMs: P.retryInitialMs,
        retryMaxMs: P.retryMaxMs,
        fenced: s.fenced !== false,
        callOptions: s.callOptions ?? {},
        primitive: s.primitive ?? 'mutex',
        permits: P.permits,
        multiShare: P.multiShare,
        readShare: P.readShare,
        loops: Number(process.env.FAULT_LOOPS ?? 1),
        seed: seed * 100 + i,
        lock: {
          ...lockOptions,
          ...(addr ? { addrs: [addr] } : {}),
          keyPrefix: P.keyPrefix,
          lock: {
            defaultTimeout: `${p.ttlMs}ms`,
            commandTimeout: `${P.commandTimeoutMs}ms`,
            renewalThreshold: 0.5,
            circuitBreaker: { failureThreshold: 5, resetTimeout: `${P.breakerResetMs}ms` },
          },
        },
      };
      const env: NodeJS.ProcessEnv = { ...process.env, FAULT_WORKER_CONFIG: JSON.stringify(config) };
      if (ftLib && ftFile)
        Object.assign(env, {
          LD_PRELOAD: ftLib,
          FAKETIME_TIMESTAMP_FILE: ftFile,
          FAKETIME_NO_CACHE: '1',
          FAKETIME_DONT_FAKE_MONOTONIC: '1',
        });
      const child = spawn(process.execPath, [workerPath], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      stderrOf.set(child, () => stderr);
      child.once('exit', (code, signal) => {
        if (code !== 0 && signal !== 'SIGKILL')
          notes.push(
            `worker ${child.pid} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          );
      });
      workers.push(child);
      if (proxy) ctx.proxies.set(child.pid!, proxy);
    }
    const readyCount = () =>
      existsSync(logPath)
        ? readFileSync(logPath, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"ev":"ready"')).length
        : 0;
    await waitUntil(`${P.workers} workers ready`, () => readyCount() >= P.workers, 30_000).catch((error) => {
      const tails = workers.map(
        (w) =>
          `${w.pid} (${w.exitCode ?? w.signalCode ?? 'running'}): ${stderrOf
            .get(w)?.()
            .trim()
            .split('\n')
            .filter((l) => /error/i.test(l))
            .slice(0, 2)
            .join(' | ')}`,
      );
      throw new Error(`${(error as Error).message}; workers: ${tails.join('; ')}`);
    });
    await sleep(P.warmupMs);
    await s.run(ctx);
    await sleep(P.cooldownMs);
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGUSR2');
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), 8000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );

    // ---- check
    const events = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FaultEvent);
    const wlogs: Record<string, string[]> = {};
    for (const key of P.keys) {
      if (s.primitive === 'sem')
        for (let i = 0; i < P.permits; i++)
          wlogs[`${key}#slot${i}`] = await resourceClient.lrange(semSlotKeys(key).wlog(i), 0, -1);
      else wlogs[key] = await resourceClient.lrange(resourceKeys(key).wlog, 0, -1);
    }
    // With several contenders per process (--loops), a killed holder's process may also have had waiters
    // queued: each is handed the lock in turn while its queue entry lives (2 s) and holds it for a TTL,
    // exactly like a holder that crashed (docs/fair-locking.md). The recovery bound grows by that much.
    const loops = Number(process.env.FAULT_LOOPS ?? 1);
    const expectations: Record<string, unknown> = { ...s.expect };
    if (loops > 1 && typeof s.expect.recoveryBoundMs === 'number')
      expectations.recoveryBoundMs = s.expect.recoveryBoundMs + (loops - 1) * p.ttlMs;
    const result = checkRun(events, wlogs, {
      fenced: s.fenced !== false,
      primitive: s.primitive ?? 'mutex',
      permits: P.permits,
      ...expectations,
    });
    if (s.topology === 'replicated-netns')
      notes.push(
        ctx.extra.lockMissingOnReplica
          ? 'the promoted replica did not have the lock (lost by the failover)'
          : 'the replica had the lock at failover time (not lost)',
      );
    if (s.faketime) {
      const offsets = events
        .filter((e) => e.ev === 'acquired' && e.wall)
        .map((e) => (e.wall! - (wall0 + (e.t - mono0))) / 1000);
      if (offsets.length)
        notes.push(
          `client wall-clock offsets seen by the workers: ${Math.round(Math.min(...offsets))} s to +${Math.round(Math.max(...offsets))} s`,
        );
    }
    const breakerOpens = events.filter((e) => e.ev === 'breaker' && e.state === 'open').length;
    if (breakerOpens) notes.push(`circuit breaker opened ${breakerOpens}× across workers`);
    return {
      name: s.name,
      primitive: s.primitive,
      topology: s.topology,
      fault: s.fault,
      fenced: s.fenced !== false,
      ...result,
      notes,
      seconds: Math.round((now() - started) / 100) / 10,
    };
  } finally {
    for (const w of workers) {
      if (w.exitCode === null && w.signalCode === null) {
        try {
          w.kill('SIGCONT');
          w.kill('SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const c of clients) c.disconnect();
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

// ---- netns wrapper for the failover scenario -----------------------------------------------------

/** Runs `scenario` inside a private network namespace (nftables rules stay inside it). */
function runInNetns(s: Scenario, seed: number): RunResult {
  const ns = `lockfi${process.pid}`;
  const base: RunResult = {
    name: s.name,
    topology: s.topology,
    fault: s.fault,
    fenced: true,
    metrics: {},
    violations: [],
    notes: [],
    overlaps: [],
    seconds: 0,
  };
  if (process.getuid?.() !== 0) return { ...base, skipped: 'needs root for `ip netns` and nftables' };
  if (spawnSync('sh', ['-c', 'command -v nft && command -v ip'], { encoding: 'utf8' }).status !== 0)
    return { ...base, skipped: 'nft or ip missing (apt-get install -y nftables iproute2)' };
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return { ...base, skipped: `ip netns add failed: ${add.stderr.trim()}` };
  try {
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const resultFile = join(outDir, `${s.name}.result.json`);
    rmSync(resultFile, { force: true });
    const child = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        process.execPath,
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--inside-netns',
        s.name,
        '--seed',
        String(seed),
        '--result',
        resultFile,
      ],
      {
        stdio: 'inherit',
        timeout: 120_000,
      },
    );
    if (!existsSync(resultFile))
      return {
        ...base,
        violations: [`the run inside the network namespace failed (exit ${child.status ?? child.signal})`],
      };
    return JSON.parse(readFileSync(resultFile, 'utf8'));
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

// ---- report --------------------------------------------------------------------------------------

function table(results: RunResult[]): string {
  const rows = [
    '| Scenario | Topology | Fault | Acq. | Overlaps (unsignaled) | Stale reads / writes rejected | Lost updates / token regressions | Dup. tokens | Lost signals | Backend errors (slowest ms) | Recovery ms (pttl) | Verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.skipped) {
      rows.push(`| ${r.name} | ${r.topology} | ${r.fault} | – | – | – | – | – | – | – | – | skipped: ${r.skipped} |`);
      continue;
    }
    const m = r.metrics as Record<string, number | null>;
    const recovery =
      m.recoveryMs === null || m.recoveryMs === undefined
        ? 'n/a'
        : `${m.recoveryMs}${m.pttlAtFault !== null && m.pttlAtFault !== undefined ? ` (${m.pttlAtFault})` : ''}`;
    const fenceCell = `${m.lostUpdates} / ${m.tokenRegressions}${r.fenced ? '' : ' (unfenced)'}`;
    rows.push(
      `| ${r.name} | ${r.topology} | ${r.fault} | ${m.acquisitions} | ${m.overlaps} (${m.overlapsUnsignaled}) | ${m.staleReadsRejected} / ${m.staleWritesRejected} | ${fenceCell} | ${m.duplicateTokens} | ${m.lostSignals} | ${m.backendErrors} (${m.maxBackendFailMs}) | ${recovery} | ${r.violations.length ? `**FAIL**: ${r.violations.join('; ')}` : 'pass'} |`,
    );
  }
  return rows.join('\n');
}

/** The table of the read-write lock and semaphore runs (their own columns: modes, permits inside, torn reads). */
function permitTable(results: RunResult[]): string {
  const rows = [
    '| Scenario | Primitive | Fault | Acq. (reads / writes) | Conflicts (unsignaled) | Max permits inside | Stale reads / writes rejected | Torn reads | Lost updates / token regressions | Dup. tokens / order violations | Lost signals | Backend errors (slowest ms) | Recovery ms (pttl) | Verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const kind = r.primitive === 'sem' ? `semaphore (${P.permits})` : 'read-write';
    if (r.skipped) {
      rows.push(`| ${r.name} | ${kind} | ${r.fault} | – | – | – | – | – | – | – | – | – | – | skipped: ${r.skipped} |`);
      continue;
    }
    const m = r.metrics as Record<string, number | null>;
    const recovery =
      m.recoveryMs === null || m.recoveryMs === undefined
        ? 'n/a'
        : `${m.recoveryMs}${m.pttlAtFault !== null && m.pttlAtFault !== undefined ? ` (${m.pttlAtFault})` : ''}`;
    const acq = r.primitive === 'rw' ? `${m.acquisitions} (${m.reads} / ${m.writes})` : `${m.acquisitions}`;
    rows.push(
      `| ${r.name} | ${kind} | ${r.fault} | ${acq} | ${m.overlaps} (${m.overlapsUnsignaled}) | ${m.maxInside ?? '–'} | ${m.staleReadsRejected} / ${m.staleWritesRejected} | ${m.tornReads} | ${m.lostUpdates} / ${m.tokenRegressions} | ${m.duplicateTokens} / ${m.tokenOrderViolations} | ${m.lostSignals} | ${m.backendErrors} (${m.maxBackendFailMs}) | ${recovery} | ${r.violations.length ? `**FAIL**: ${r.violations.join('; ')}` : 'pass'} |`,
    );
  }
  return rows.join('\n');
}

/** Replaces the table between `<!-- <marker>:start -->` and `<!-- <marker>:end -->` in docs/reliability.md. */
function writeDocs(markdown: string, command: string, marker: string): void {
  const path = join(root, 'docs', 'reliability.md');
  if (!existsSync(path)) return;
  const text = readFileSync(path, 'utf8');
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) return;
  const stamp = `Made by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ').slice(0, 3).join(' ')}).`;
  writeFileSync(path, `${text.slice(0, i + start.length)}\n${stamp}\n\n${markdown}\n${text.slice(j)}`);
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(arg('--seed') ?? 1);
  const inside = arg('--inside-netns');
  if (inside) {
    const s = SCENARIOS.find((x) => x.name === inside)!;
    const result = await runScenario(s, seed);
    writeFileSync(arg('--result')!, JSON.stringify(result));
    return 0;
  }
  const quick = args.includes('--quick');
  // --fence acquire: workers take tokens with `fence: true`; default (lazy): `await handle.getFence()`.
  const fenceMode = arg('--fence') ?? process.env.FAULT_FENCE ?? 'lazy';
  if (fenceMode !== 'lazy' && fenceMode !== 'acquire') {
    console.error(`--fence must be lazy or acquire, got ${fenceMode}`);
    return 2;
  }
  process.env.FAULT_FENCE = fenceMode; // the workers (and a re-run inside a network namespace) read it
  // --loops N: N contenders in each worker process (default 1).
  const loops = Number(arg('--loops') ?? process.env.FAULT_LOOPS ?? 1);
  if (!Number.isInteger(loops) || loops < 1 || loops > 8) {
    console.error(`--loops takes a whole number from 1 to 8, got ${arg('--loops')}`);
    return 2;
  }
  process.env.FAULT_LOOPS = String(loops);
  const only = arg('--only')?.split(',');
  // --primitive mutex|rw|sem (comma-separated): only the scenarios of those primitives.
  const primitives = arg('--primitive')?.split(',');
  if (primitives?.some((x) => !['mutex', 'rw', 'sem'].includes(x))) {
    console.error(`--primitive takes mutex, rw or sem (comma-separated), got ${primitives.join(',')}`);
    return 2;
  }
  const selected = SCENARIOS.filter(
    (s) =>
      (only ? only.includes(s.name) : quick ? s.quick : true) &&
      (!primitives || primitives.includes(s.primitive ?? 'mutex')),
  );
  if (selected.length === 0) {
    console.error(`no scenario selected; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (!process.env.FAULT_LIB && !existsSync(join(root, 'libs/redis-lock/dist/esm/index.js'))) {
    console.error('the library is not built: run `npm run build` first (the workers import the built package)');
    return 2;
  }
  console.log(
    `fault suite: ${selected.length} scenario(s)${quick ? ' (quick)' : ''}, tokens ${fenceMode === 'acquire' ? 'minted in the acquire (fence: true)' : 'by getFence()'}; ${P.workers} workers${loops > 1 ? ` × ${loops} contenders` : ''}, keys ${P.keys.join(',')}, TTL ${P.ttlMs} ms, critical section ${P.csMs} ms, command timeout ${P.commandTimeoutMs} ms`,
  );
  const results: RunResult[] = [];
  for (const s of selected) {
    process.stdout.write(`- ${s.name}: ${s.fault} ... `);
    let r: RunResult;
    try {
      r = s.topology === 'replicated-netns' ? runInNetns(s, seed) : await runScenario(s, seed);
    } catch (error) {
      r = {
        name: s.name,
        primitive: s.primitive,
        topology: s.topology,
        fault: s.fault,
        fenced: s.fenced !== false,
        metrics: {},
        violations: [`the run failed: ${(error as Error).message}`],
        notes: [],
        overlaps: [],
        seconds: 0,
      };
    }
    results.push(r);
    const m = r.metrics;
    const permitLine =
      s.primitive === 'rw'
        ? ` (${m.reads} reads / ${m.writes} writes), ${m.tornReads} torn reads, ${m.tokenOrderViolations} token order violations`
        : s.primitive === 'sem'
          ? `, max ${m.maxInside} permits inside, ${m.tokenOrderViolations} token order violations`
          : '';
    console.log(
      r.skipped
        ? `skipped (${r.skipped})`
        : `${r.violations.length ? 'FAIL' : 'ok'} in ${r.seconds}s: ${m.acquisitions} acquisitions${permitLine}, ${m.overlaps} ${s.primitive === 'sem' ? 'moments over the permits' : s.primitive === 'rw' ? 'writer overlaps' : 'overlaps'} (${m.overlapsUnsignaled} unsignaled), ${m.staleReadsRejected}/${m.staleWritesRejected} stale rejected, ${m.lostUpdates}/${m.tokenRegressions} lost/regressions, ${m.duplicateTokens} dup tokens, ${m.backendErrors} backend errors (max ${m.maxBackendFailMs} ms), recovery ${m.recoveryMs ?? 'n/a'} ms`,
    );
    for (const v of r.violations) console.log(`    VIOLATION: ${v}`);
    for (const n of r.notes) console.log(`    note: ${n}`);
  }
  // One table per family of columns: the mutex runs, and the read-write lock / semaphore runs. --write-docs
  // replaces only the tables this run produced rows for.
  const mutexRuns = results.filter((r) => !r.primitive || r.primitive === 'mutex');
  const permitRuns = results.filter((r) => r.primitive === 'rw' || r.primitive === 'sem');
  const tables = [
    ...(mutexRuns.length ? [{ marker: 'fault-table', markdown: table(mutexRuns) }] : []),
    ...(permitRuns.length ? [{ marker: 'permit-fault-table', markdown: permitTable(permitRuns) }] : []),
  ];
  const markdown = tables.map((t) => t.markdown).join('\n\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.md'), markdown + '\n');
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(results, null, 2));
  console.log(`\n${markdown}\n`);
  const shown = args.filter((a) => a !== '--write-docs');
  if (args.includes('--write-docs'))
    for (const t of tables)
      writeDocs(t.markdown, `npm run test:faults${shown.length ? ' -- ' + shown.join(' ') : ''}`, t.marker);
  const failed = results.filter((r) => r.violations.length > 0);
  console.log(
    failed.length
      ? `fault suite: ${failed.length} scenario(s) violated a must-hold line`
      : 'fault suite: every must-hold line met',
  );
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
