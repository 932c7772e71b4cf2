// The worker loop shared by the in-process scenarios and the child processes of the multi-process one.
import { commandCounts, diffCounts } from './command-counter.mjs';

const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC in ms: comparable across processes
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `workers` loops for `durationMs` against `lib`: acquire `keyOf(i)`, hold `holdMs` (0 = release at
 * once), release. Returns raw samples: acquire (= wait) and release latencies, the hold intervals
 * per key (for the overlap and hand-off checks), waits still unfinished at the end, give-ups, per-worker
 * counts and client-sent commands.
 */
export async function runLoad(lib, { workers, durationMs, holdMs, keyOf, onStop }) {
  const stop = { stopped: false };
  const waits = [];
  const releases = [];
  const intervals = [];
  const perWorker = new Array(workers).fill(0);
  const pending = new Map();
  let giveUps = 0;
  const before = commandCounts();
  const cpu0 = process.cpuUsage();
  const started = now();
  const loops = [...Array(workers).keys()].map(async (i) => {
    const key = keyOf(i);
    while (!stop.stopped) {
      const t0 = now();
      pending.set(i, t0);
      let handle;
      try {
        handle = await lib.acquire(key, stop);
      } catch {
        pending.delete(i);
        if (stop.stopped) return;
        giveUps++;
        continue;
      }
      pending.delete(i);
      if (handle === undefined) return; // stopped while waiting (raw adapter)
      const t1 = now();
      if (holdMs > 0) await sleep(holdMs);
      const t2 = now();
      try {
        await lib.release(key, handle);
      } catch {
        if (!stop.stopped) giveUps++;
      }
      const t3 = now();
      if (!stop.stopped) {
        waits.push(t1 - t0);
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
  const unfinished = [...pending.values()].map((t0) => ended - t0);
  const commands = diffCounts(commandCounts(), before);
  if (onStop) await onStop();
  // Let loops finish (peers cannot be cancelled while waiting: bounded grace, then move on).
  await Promise.race([Promise.allSettled(loops), sleep(3000)]);
  return {
    elapsedMs: ended - started,
    waits,
    releases,
    intervals,
    unfinished,
    giveUps,
    perWorker,
    commands,
    clientCpuUs: cpu.user + cpu.system,
    heapUsed: process.memoryUsage().heapUsed,
  };
}
