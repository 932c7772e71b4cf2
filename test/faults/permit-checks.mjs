// The checks of the fault suite's primitive modes (run.ts --primitive rw|sem), used by checker.mjs.
// Pure functions over critical sections ({ id, pid, holder, key, token, start, end, mode, count }; `holder` is
// the contender: its process, or one of several in a process, see run.ts --loops) and acquisitions;
// `lostSignals` holds the ids of the sections whose holder's `signal` aborted.

const perKey = (items) => {
  const map = new Map();
  for (const s of items) (map.get(s.key) ?? map.set(s.key, []).get(s.key)).push(s);
  return map;
};

/**
 * Pairs of critical sections of the same name, by different processes, that overlapped in time and
 * `conflict` (mutex: always; read-write lock: unless both are reads). `signaled`: the earlier holder's
 * `signal` aborted (it was told it lost the lock).
 */
export function conflictingOverlaps(sections, lostSignals, conflict = () => true) {
  const overlaps = [];
  for (const list of perKey(sections).values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      for (let j = 0; j < i; j++) {
        const earlier = list[j];
        const later = list[i];
        if (
          earlier.end > later.start &&
          (earlier.holder ?? earlier.pid) !== (later.holder ?? later.pid) &&
          conflict(earlier, later)
        ) {
          overlaps.push({
            key: later.key,
            earlier: { pid: earlier.pid, token: earlier.token, mode: earlier.mode },
            later: { pid: later.pid, token: later.token, mode: later.mode },
            ms: Math.min(earlier.end, later.end) - later.start,
            signaled: lostSignals.has(earlier.id),
          });
        }
      }
    }
  }
  return overlaps;
}

/** Read-write lock: two sections conflict unless both are reads. */
export const rwConflict = (a, b) => a.mode !== 'read' || b.mode !== 'read';

/**
 * Semaphore: every critical-section start at which the sections open at that instant hold more than
 * `permits` permits in all. `signaled`: the sections that were never told they lost their permits hold
 * at most `permits` (the excess is made of holders whose `signal` aborted).
 */
export function permitExcess(sections, lostSignals, permits) {
  const excess = [];
  let maxInside = 0;
  for (const list of perKey(sections).values()) {
    for (const s of list) {
      const open = list.filter((o) => o.start <= s.start && o.end > s.start);
      const held = open.reduce((n, o) => n + (o.count ?? 1), 0);
      maxInside = Math.max(maxInside, held);
      if (held <= permits) continue;
      const unsignaled = open.filter((o) => !lostSignals.has(o.id)).reduce((n, o) => n + (o.count ?? 1), 0);
      excess.push({
        key: s.key,
        at: { pid: s.pid, token: s.token },
        inside: open.map((o) => ({ pid: o.pid, token: o.token, count: o.count ?? 1 })),
        held,
        signaled: unsignaled <= permits,
      });
    }
  }
  return { excess, maxInside };
}

/**
 * Fence order: a minting acquisition (writer, semaphore holder) must get a token above every token granted
 * before its acquire began; a reader one at least as high (readers share the current token). Returns the
 * acquisitions that broke it.
 */
export function tokenOrderViolations(acquisitions) {
  const bad = [];
  for (const list of perKey(acquisitions).values()) {
    const byGrant = [...list].sort((a, b) => a.t - b.t);
    const prefixMax = [];
    let max = -Infinity;
    for (const a of byGrant) prefixMax.push((max = Math.max(max, a.token)));
    for (const a of list) {
      if (a.t0 === undefined) continue;
      // the last acquisition logged before a's acquire began
      let lo = 0;
      let hi = byGrant.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byGrant[mid].t < a.t0) lo = mid + 1;
        else hi = mid;
      }
      if (lo === 0) continue;
      const before = prefixMax[lo - 1];
      if (a.mode === 'read' ? a.token < before : a.token <= before)
        bad.push({ pid: a.pid, token: a.token, mode: a.mode, maxBefore: before });
    }
  }
  return bad;
}

/**
 * Recovery after a holder was killed (`fault` with target, key, mode, count): kill → the first moment the
 * killed holding is usable again. Mutex or killed writer: the next acquisition by another process; killed
 * reader: the next write acquisition; semaphore: the first section start at which the other processes hold
 * more than `permits - count` permits (the killed permits are in use again). Null when it never happened.
 */
export function killRecoveryMs(fault, acquisitions, sections, expect) {
  const sameKey = (a) => !fault.key || a.key === fault.key;
  if (expect.primitive === 'sem') {
    const others = sections.filter((s) => s.pid !== fault.target && sameKey(s)).sort((a, b) => a.start - b.start);
    for (const s of others) {
      if (s.start <= fault.t) continue;
      const held = others.filter((o) => o.start <= s.start && o.end > s.start).reduce((n, o) => n + (o.count ?? 1), 0);
      if (held > expect.permits - (fault.count ?? 1)) return s.start - fault.t;
    }
    return null;
  }
  const next = acquisitions.find(
    (a) => a.t > fault.t && a.pid !== fault.target && sameKey(a) && (fault.mode !== 'read' || a.mode === 'write'),
  );
  return next ? next.t - fault.t : null;
}
