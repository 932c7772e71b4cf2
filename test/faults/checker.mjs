// The fault suite's checker (RELIABILITY.md §4.3). Pure: events + resource write logs in, metrics and
// "must hold" violations out. test/fault-checker.spec.ts feeds it hand-made histories.
import { parseWlogEntry } from './resource.mjs';
import {
  conflictingOverlaps,
  killRecoveryMs,
  permitExcess,
  rwConflict,
  tokenOrderViolations,
} from './permit-checks.mjs';

/**
 * @typedef {{ t: number, pid: number, ev: string, key?: string, token?: number, [k: string]: unknown }} Event
 * @typedef {{
 *   fenced?: boolean,              // the resource checks tokens (default true)
 *   expectNoOverlap?: boolean,     // Redis kept its data and no pause exceeded the validity
 *   requireLostSignal?: boolean,   // every overlap's earlier holder must have had its signal aborted
 *   commandTimeoutMs?: number,     // backend failures must come within this (+ slack)
 *   failFastSlackMs?: number,
 *   recoveryBoundMs?: number,      // holder kill: recovery <= pttl_at_fault + this
 *   requireRecovery?: boolean,     // some acquisition must succeed after the heal
 *   tokensMayRepeat?: boolean,     // only for deliberately broken setups
 *   primitive?: 'mutex' | 'rw' | 'sem', // what the workers took (default mutex)
 *   permits?: number,              // sem: the semaphore's permits
 * }} Expectations
 */

const round = (n) => (n === undefined || n === null || Number.isNaN(n) ? null : Math.round(n));

/**
 * @param {Event[]} events every worker's and the driver's events (any order)
 * @param {Record<string, string[]>} wlogs per key: the resource's accepted writes, in resource order
 * @param {Expectations} expect
 */
export function checkRun(events, wlogs, expect = {}) {
  const fenced = expect.fenced !== false;
  events = [...events].sort((a, b) => a.t - b.t);
  const faults = events.filter((e) => e.ev === 'fault');
  const heals = events.filter((e) => e.ev === 'heal');
  const killed = new Map(faults.filter((f) => f.kind === 'kill').map((f) => [f.target, f.t]));
  const runEnd = events.length ? events[events.length - 1].t : 0;

  // ---- acquisitions and duplicate tokens
  const acquisitions = events.filter((e) => e.ev === 'acquired');
  const byKeyToken = new Map();
  let duplicateTokens = 0;
  // Readers share the current token; every other acquisition mints its own.
  for (const a of acquisitions.filter((x) => x.mode !== 'read')) {
    const id = `${a.key}\0${a.token}`;
    if (byKeyToken.has(id)) duplicateTokens++;
    else byKeyToken.set(id, a);
  }

  // ---- critical sections and overlaps ("two clients believe they hold it")
  // A section is one acquisition: pid, key, token and the pid's acquisition number (readers of a read-write
  // lock share tokens, so one process may hold the same token several times in a row).
  // The holder: the process, or with several contenders in one process (run.ts --loops) the contender.
  const holder = (e) => e.hid ?? e.pid;
  const acquisitionNo = new Map();
  const acqId = (e) => `${holder(e)}\0${e.key}\0${e.token}\0${acquisitionNo.get(holder(e)) ?? 0}`;
  const sections = new Map();
  const latestSection = new Map(); // pid+key+token -> the id of its latest section (a late 'lost' event finds it)
  const lostSignals = new Set();
  const holding = (e) => `${holder(e)}\0${e.key}\0${e.token}`;
  for (const e of events) {
    if (e.ev === 'acquired') {
      acquisitionNo.set(holder(e), (acquisitionNo.get(holder(e)) ?? 0) + 1);
      latestSection.set(holding(e), acqId(e));
    } else if (e.ev === 'cs_start')
      sections.set(acqId(e), {
        id: acqId(e),
        pid: e.pid,
        holder: holder(e),
        key: e.key,
        token: e.token,
        start: e.t,
        end: undefined,
        mode: e.mode,
        count: e.count,
      });
    else if (e.ev === 'cs_end') {
      const s = sections.get(acqId(e));
      if (s) s.end = e.t;
    } else if (e.ev === 'lost') lostSignals.add(latestSection.get(holding(e)) ?? acqId(e));
  }
  for (const s of sections.values()) if (s.end === undefined) s.end = killed.get(s.pid) ?? runEnd; // killed inside, or still running
  const primitive = expect.primitive ?? 'mutex';
  // Mutex: any two holders; read-write lock: a writer with anyone; semaphore: more than `permits` inside at once.
  const { excess, maxInside } =
    primitive === 'sem' ? permitExcess([...sections.values()], lostSignals, expect.permits) : { excess: [] };
  const overlaps =
    primitive === 'sem'
      ? excess
      : conflictingOverlaps([...sections.values()], lostSignals, primitive === 'rw' ? rwConflict : undefined);
  const unsignaledOverlaps = overlaps.filter((o) => !o.signaled);

  // ---- the resource: replay each key's write log (the hard safety property)
  let lostUpdates = 0;
  let tokenRegressions = 0;
  let writesAccepted = 0;
  for (const entries of Object.values(wlogs)) {
    let prev = { token: -Infinity, written: 0, pid: -1 };
    for (const raw of entries) {
      const w = parseWlogEntry(raw);
      writesAccepted++;
      if (w.read !== prev.written) lostUpdates++;
      if (w.token < prev.token || (w.token === prev.token && w.pid !== prev.pid)) tokenRegressions++;
      prev = w;
    }
  }

  // ---- backend failures while Redis is paused / down
  const acqErrors = events.filter((e) => e.ev === 'acq_error');
  const backendErrors = acqErrors.filter((e) => e.code === 'backend');
  const otherErrors = acqErrors.filter((e) => e.code !== 'backend' && e.code !== 'timeout');
  const maxBackendFailMs = backendErrors.reduce((m, e) => Math.max(m, e.busyMs ?? e.ms), 0);
  const slowBackendErrors =
    expect.commandTimeoutMs !== undefined
      ? backendErrors.filter((e) => (e.busyMs ?? e.ms) > expect.commandTimeoutMs + (expect.failFastSlackMs ?? 150))
      : [];

  // ---- recovery
  let recoveryMs = null;
  let pttlAtFault = null;
  const firstFault = faults[0];
  if (firstFault) {
    if (firstFault.kind === 'kill') {
      recoveryMs = killRecoveryMs(firstFault, acquisitions, [...sections.values()], expect);
      pttlAtFault = firstFault.pttl ?? null;
    } else {
      const healAt = heals.length ? heals[heals.length - 1].t : firstFault.t;
      const next = acquisitions.find((a) => a.t > healAt);
      recoveryMs = next ? next.t - healAt : null;
    }
  }

  const count = (ev) => events.filter((e) => e.ev === ev).length;
  const orderViolations = tokenOrderViolations(acquisitions);
  const metrics = {
    workers: new Set(events.filter((e) => e.ev === 'ready').map((e) => e.pid)).size,
    acquisitions: acquisitions.length,
    reads: acquisitions.filter((a) => a.mode === 'read').length,
    writes: acquisitions.filter((a) => a.mode === 'write').length,
    maxInside: maxInside ?? null,
    tornReads: count('torn_read'),
    tokenOrderViolations: orderViolations.length,
    writesAccepted,
    staleReadsRejected: count('stale_read_rejected'),
    staleWritesRejected: count('stale_write_rejected'),
    overlaps: overlaps.length,
    overlapsUnsignaled: unsignaledOverlaps.length,
    lostSignals: lostSignals.size,
    lostDetected: count('lost_detected'),
    releaseNotOwner: events.filter((e) => e.ev === 'released' && e.ok === false).length,
    lostUpdates,
    tokenRegressions,
    duplicateTokens,
    acqTimeouts: acqErrors.filter((e) => e.code === 'timeout').length,
    backendErrors: backendErrors.length,
    maxBackendFailMs: round(maxBackendFailMs),
    otherErrors: otherErrors.length,
    resourceErrors: count('resource_error'),
    recoveryMs: round(recoveryMs),
    pttlAtFault: round(pttlAtFault),
  };

  // ---- what must hold
  const violations = [];
  if (metrics.workers === 0 || acquisitions.length === 0)
    violations.push('no acquisitions at all (the run did not work)');
  if (fenced && lostUpdates > 0) violations.push(`${lostUpdates} lost update(s) at the fenced resource`);
  if (fenced && tokenRegressions > 0) violations.push(`${tokenRegressions} token regression(s) at the fenced resource`);
  if (!expect.tokensMayRepeat && duplicateTokens > 0) violations.push(`${duplicateTokens} duplicate fencing token(s)`);
  if (fenced && metrics.tornReads > 0)
    violations.push(`${metrics.tornReads} torn read(s): a write accepted inside a read-locked section`);
  // Checked for the permit primitives only (their tokens are minted in the grant, so the order is exact).
  if (primitive !== 'mutex' && !expect.tokensMayRepeat && orderViolations.length > 0)
    violations.push(
      `${orderViolations.length} acquisition(s) whose token was not above (readers: below) every token granted before their acquire began`,
    );
  const overlapWhat =
    primitive === 'sem'
      ? `moment(s) with more than ${expect.permits} permits inside`
      : primitive === 'rw'
        ? 'writer overlap(s)'
        : 'overlapping critical section(s)';
  if (expect.expectNoOverlap && overlaps.length > 0)
    violations.push(`${overlaps.length} ${overlapWhat} although Redis kept its data and no pause exceeded the TTL`);
  if (expect.requireLostSignal && unsignaledOverlaps.length > 0)
    violations.push(
      primitive === 'sem'
        ? `${unsignaledOverlaps.length} moment(s) with more than ${expect.permits} permits inside although no holder's signal aborted`
        : `${unsignaledOverlaps.length} overlap(s) where the earlier holder's signal never aborted`,
    );
  if (slowBackendErrors.length > 0)
    violations.push(
      `${slowBackendErrors.length} LockBackendError(s) slower than the command timeout (${expect.commandTimeoutMs} ms); slowest ${round(maxBackendFailMs)} ms`,
    );
  if (otherErrors.length > 0)
    violations.push(
      `${otherErrors.length} acquire error(s) that are neither LockBackendError nor LockAcquireTimeoutError: ${[...new Set(otherErrors.map((e) => e.error))].join(', ')}`,
    );
  if (expect.recoveryBoundMs !== undefined && firstFault?.kind === 'kill') {
    if (recoveryMs === null) violations.push('no acquisition after the holder was killed');
    else if (recoveryMs > (pttlAtFault ?? 0) + expect.recoveryBoundMs)
      violations.push(
        `recovery ${round(recoveryMs)} ms > remaining TTL ${round(pttlAtFault)} ms + ${expect.recoveryBoundMs} ms`,
      );
  }
  if (expect.requireRecovery && firstFault && recoveryMs === null)
    violations.push('no acquisition succeeded after the heal (did not recover by itself)');
  return { metrics, violations, overlaps: overlaps.slice(0, 20) };
}
