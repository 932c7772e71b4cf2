// The worker loop shared by the in-process scenarios and the child processes of the multi-process one.
import { commandCounts, diffCounts } from './command-counter.mjs';

const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC in ms: comparable across processes
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One hold of `key` in `mode` through `lib`, running `body` while held. Mutex holds go through the
 * adapter's `acquire` + `release` (the shape every library has); the other modes (`read`, `write`,
 * `permit`) through its `hold(op, stop, body)`, which takes, runs `body` and gives back.
 */
async function holdWith(lib, op, stop, body) {
  if (op.mode === 'mutex') {
    const handle = await lib.acquire(op.key, stop);
    if (handle === undefined) return; // stopped while waiting (raw adapter)
    await body();
    await lib.release(op.key, handle);
    return;
  }
  await lib.hold(op, stop, body);
}

/**
 * Who is inside, per key, counted in this process when a hold starts and ends (before the release
 * is sent, after the acquire returned): the largest number of readers, or of permit holders, seen at
 * once (`maxInside`) and `violations`: a writer entering beside anyone, a reader beside a writer, or more
 * than `permits` permit holders.
 */
function insideCounter(permits) {
  const keys = new Map();
  const counter = { maxInside: 0, violations: 0 };
  counter.enter = (key, mode) => {
    let k = keys.get(key);
    if (!k) keys.set(key, (k = { read: 0, write: 0, permit: 0 }));
    if (mode === 'write' && k.read + k.write > 0) counter.violations++;
    if (mode === 'read' && k.write > 0) counter.violations++;
    k[mode]++;
    if (mode === 'permit' && k.permit > permits) counter.violations++;
    if (mode !== 'write') counter.maxInside = Math.max(counter.maxInside, k[mode]);
  };
  counter.leave = (key, mode) => keys.get(key)[mode]--;
  return counter;
}

/**
 * Runs `workers` loops for `durationMs` against `lib`: take `keyOf(i)` in `modeOf(i, n)` (the n-th
 * operation of worker i; default 'mutex'), hold `holdMs` (0 = release at once), release. Returns raw
 * samples: acquire (= wait) and release latencies with the mode of each, the hold intervals per key
 * (for the overlap and hand-off checks), waits still unfinished at the end, give-ups, per-worker
 * counts, client-sent commands, and for shared modes the in-process `maxInside` and `violations`.
 */
export async function runLoad(lib, { workers, durationMs, holdMs, keyOf, modeOf, permits, onStop }) {
  const stop = { stopped: false };
  const waits = [];
  const waitModes = [];
  const releases = [];
  const intervals = [];
  const perWorker = new Array(workers).fill(0);
  const pending = new Map();
  const inside = insideCounter(permits ?? 1);
  let giveUps = 0;
  const before = commandCounts();
  const cpu0 = process.cpuUsage();
  const started = now();
  const loops = [...Array(workers).keys()].map(async (i) => {
    const key = keyOf(i);
    for (let n = 0; !stop.stopped; n++) {
      const op = { key, mode: modeOf ? modeOf(i, n) : 'mutex', permits };
      const t0 = now();
      let t1;
      let t2;
      pending.set(i, { t0, mode: op.mode });
      const body = async () => {
        pending.delete(i);
        t1 = now();
        if (op.mode !== 'mutex') inside.enter(key, op.mode);
        if (holdMs > 0) await sleep(holdMs);
        if (op.mode !== 'mutex') inside.leave(key, op.mode);
        t2 = now();
      };
      try {
        await holdWith(lib, op, stop, body);
      } catch {
        pending.delete(i);
        if (t1 === undefined) {
          if (stop.stopped) return;
          giveUps++;
          continue;
        }
        if (!stop.stopped) giveUps++; // the release failed
      }
      pending.delete(i);
      if (t1 === undefined) return; // stopped while waiting (raw adapter)
      const t3 = now();
      if (!stop.stopped) {
        waits.push(t1 - t0);
        waitModes.push(op.mode);
        releases.push(t3 - t2);
        intervals.push([key, t1, t2]);
        perWorker[i]++;
      }
    }
  });
  await sleep(durationMs);
  stop.stopped = true;
  const ended = now();
  const cpu = process.cpuUsage(cpu0);
  const unfinished = [...pending.values()].map(({ t0 }) => ended - t0);
  const unfinishedModes = [...pending.values()].map(({ mode }) => mode);
  const commands = diffCounts(commandCounts(), before);
  if (onStop) await onStop();
  // Let loops finish (peers cannot be cancelled while waiting: bounded grace, then move on).
  await Promise.race([Promise.allSettled(loops), sleep(3000)]);
  return {
    elapsedMs: ended - started,
    waits,
    waitModes,
    releases,
    intervals,
    unfinished,
    unfinishedModes,
    giveUps,
    perWorker,
    commands,
    maxInside: inside.maxInside,
    violations: inside.violations,
    clientCpuUs: cpu.user + cpu.system,
    heapUsed: process.memoryUsage().heapUsed,
  };
}
