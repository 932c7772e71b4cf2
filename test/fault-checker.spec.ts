// Unit tests of the fault suite's checker (test/faults/checker.mjs) on hand-made histories, so the
// suite's "must hold" verdicts can be trusted to fail when they should.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module of the fault suite
import { checkRun } from './faults/checker.mjs';

type Ev = Record<string, unknown>;
const clock = 0;
/** One acquisition with its critical section, from `start` to `end` (ms). */
function section(pid: number, token: number, start: number, end: number, extra: Ev[] = []): Ev[] {
  return [
    { t: start - 1, pid, ev: 'acquired', key: 'k', token },
    { t: start, pid, ev: 'cs_start', key: 'k', token },
    ...extra,
    { t: end, pid, ev: 'cs_end', key: 'k', token },
    { t: end + 0.5, pid, ev: 'released', key: 'k', token, ok: true },
  ];
}
/** Marks a section's events with a lock mode (and permits); `t0`: when its acquire began. */
const withMode = (events: Ev[], mode: string, t0?: number, count = 1): Ev[] =>
  events.map((e) =>
    e.ev === 'acquired'
      ? { ...e, mode, count, ...(t0 === undefined ? {} : { t0 }) }
      : e.ev === 'cs_start'
        ? { ...e, mode, count }
        : e,
  );
const ready = (...pids: number[]) => pids.map((pid) => ({ t: clock, pid, ev: 'ready' }));

describe('fault suite checker', () => {
  it('a clean history passes and counts what happened', () => {
    const events = [...ready(1, 2), ...section(1, 10, 10, 20), ...section(2, 11, 21, 30), ...section(1, 12, 31, 40)];
    const r = checkRun(events, { k: ['10:0:1:1', '11:1:2:2', '12:2:3:1'] }, { expectNoOverlap: true });
    expect(r.violations).toEqual([]);
    expect(r.metrics).toMatchObject({
      workers: 2,
      acquisitions: 3,
      overlaps: 0,
      lostUpdates: 0,
      tokenRegressions: 0,
      duplicateTokens: 0,
      writesAccepted: 3,
    });
  });

  it('finds overlapping critical sections and tells signaled from unsignaled ones', () => {
    const paused = section(1, 10, 10, 100, [{ t: 95, pid: 1, ev: 'lost', key: 'k', token: 10 }]);
    const events = [
      ...ready(1, 2, 3),
      ...paused,
      ...section(2, 11, 50, 60),
      ...section(3, 12, 200, 300),
      ...section(2, 13, 250, 260),
    ];
    const r = checkRun(events, { k: [] }, { expectNoOverlap: true, requireLostSignal: true });
    expect(r.metrics.overlaps).toBe(2);
    expect(r.metrics.overlapsUnsignaled).toBe(1); // pid 3 never learned it lost token 12
    expect(r.violations.join('\n')).toMatch(/2 overlapping critical section/);
    expect(r.violations.join('\n')).toMatch(/1 overlap\(s\) where the earlier holder's signal never aborted/);
  });

  it('several contenders in one process (--loops): each is its own holder, so their overlaps count', () => {
    const as = (hid: string, events: Ev[]) => events.map((e) => ({ ...e, hid }));
    const events: Ev[] = [
      ...ready(1),
      ...as('1.0', section(1, 10, 10, 50)),
      ...as('1.1', section(1, 11, 40, 60)), // same process, another contender, inside before the first left
      ...as('1.0', section(1, 12, 70, 80)),
    ];
    const r = checkRun(events, { k: [] }, { expectNoOverlap: true });
    expect(r.metrics.overlaps).toBe(1);
    expect(r.metrics.acquisitions).toBe(3);
    // Without holder ids the same history is one process taking turns with itself: no overlap to see.
    const plain = checkRun(
      events.map(({ hid: _hid, ...e }) => e),
      { k: [] },
      { expectNoOverlap: true },
    );
    expect(plain.metrics.overlaps).toBe(0);
  });

  it('a holder killed inside its critical section is closed at the kill', () => {
    const events = [
      ...ready(1, 2),
      { t: 10, pid: 1, ev: 'acquired', key: 'k', token: 10 },
      { t: 11, pid: 1, ev: 'cs_start', key: 'k', token: 10 },
      { t: 20, pid: 99, ev: 'fault', kind: 'kill', target: 1, pttl: 500, key: 'k' },
      ...section(2, 11, 530, 540),
    ];
    const r = checkRun(events, { k: ['11:0:1:2'] }, { expectNoOverlap: true, recoveryBoundMs: 50 });
    expect(r.metrics.overlaps).toBe(0);
    expect(r.metrics.recoveryMs).toBe(509);
    expect(r.violations).toEqual([]);
    const slow = checkRun(events, { k: ['11:0:1:2'] }, { recoveryBoundMs: 5 });
    expect(slow.violations.join()).toMatch(/recovery 509 ms > remaining TTL 500 ms \+ 5 ms/);
  });

  it('replays the resource write log: lost updates and token regressions', () => {
    const events = [...ready(1), ...section(1, 10, 10, 20)];
    const lost = checkRun(events, { k: ['10:0:1:1', '11:0:1:2'] }, {}); // the second write read a stale 0
    expect(lost.metrics.lostUpdates).toBe(1);
    expect(lost.violations.join()).toMatch(/1 lost update/);
    const regress = checkRun(events, { k: ['12:0:1:1', '11:1:2:2'] }, {});
    expect(regress.metrics.tokenRegressions).toBe(1);
    const sameTokenTwoOwners = checkRun(events, { k: ['12:0:1:1', '12:1:2:2'] }, {});
    expect(sameTokenTwoOwners.metrics.tokenRegressions).toBe(1);
    const unfenced = checkRun(events, { k: ['10:0:1:1', '11:0:1:2'] }, { fenced: false });
    expect(unfenced.violations).toEqual([]); // counted, but expected without fencing
    expect(unfenced.metrics.lostUpdates).toBe(1);
  });

  it('duplicate tokens, slow or untyped backend failures, missing recovery', () => {
    const events = [
      ...ready(1, 2),
      ...section(1, 10, 10, 20),
      ...section(2, 10, 30, 40),
      { t: 50, pid: 9, ev: 'fault', kind: 'restart' },
      { t: 51, pid: 1, ev: 'acq_error', key: 'k', code: 'backend', ms: 900, busyMs: 700 },
      { t: 52, pid: 2, ev: 'acq_error', key: 'k', code: 'other', error: 'TypeError', ms: 1, busyMs: 1 },
      { t: 60, pid: 9, ev: 'heal', kind: 'restarted' },
    ];
    const r = checkRun(events, { k: [] }, { commandTimeoutMs: 400, failFastSlackMs: 100, requireRecovery: true });
    const text = r.violations.join('\n');
    expect(text).toMatch(/1 duplicate fencing token/);
    expect(text).toMatch(/1 LockBackendError\(s\) slower than the command timeout \(400 ms\); slowest 700 ms/);
    expect(text).toMatch(/neither LockBackendError nor LockAcquireTimeoutError: TypeError/);
    expect(text).toMatch(/did not recover by itself/);
  });

  it('read-write lock: readers may overlap each other, a writer with anyone is a conflict', () => {
    const read = (pid: number, token: number, start: number, end: number, extra: Ev[] = []) =>
      withMode(section(pid, token, start, end, extra), 'read');
    const write = (pid: number, token: number, start: number, end: number, extra: Ev[] = []) =>
      withMode(section(pid, token, start, end, extra), 'write');
    const clean = [...ready(1, 2, 3), ...write(1, 10, 10, 20), ...read(2, 10, 21, 40), ...read(3, 10, 25, 45)];
    const ok = checkRun(clean, { k: ['10:0:1:1'] }, { primitive: 'rw', expectNoOverlap: true });
    expect(ok.violations).toEqual([]);
    expect(ok.metrics).toMatchObject({ reads: 2, writes: 1, overlaps: 0, duplicateTokens: 0 }); // shared token 10
    const paused = write(1, 11, 50, 200, [{ t: 190, pid: 1, ev: 'lost', key: 'k', token: 11 }]);
    const events = [...clean, ...paused, ...read(2, 11, 60, 70), ...write(3, 12, 210, 220), ...read(2, 12, 215, 230)];
    const r = checkRun(events, { k: [] }, { primitive: 'rw', requireLostSignal: true, expectNoOverlap: true });
    expect(r.metrics.overlaps).toBe(2); // the paused writer with the reader (signaled), writer 12 with reader 12
    expect(r.metrics.overlapsUnsignaled).toBe(1);
    expect(r.violations.join('\n')).toMatch(/2 writer overlap\(s\)/);
    expect(r.violations.join('\n')).toMatch(/1 overlap\(s\) where the earlier holder's signal never aborted/);
  });

  it('read-write lock: a reader holding the same shared token twice is two sections', () => {
    const events = [
      ...ready(1, 2),
      ...withMode(section(1, 10, 10, 20), 'read'),
      ...withMode(section(1, 10, 30, 40, [{ t: 35, pid: 1, ev: 'lost', key: 'k', token: 10 }]), 'read'),
      ...withMode(section(2, 11, 15, 18), 'write'),
    ];
    const r = checkRun(events, { k: [] }, { primitive: 'rw' });
    expect(r.metrics.overlaps).toBe(1);
    expect(r.overlaps[0]).toMatchObject({ earlier: { pid: 1, token: 10 }, later: { pid: 2 }, signaled: false });
  });

  it('torn reads and fence order are violations', () => {
    const torn = [
      ...ready(1),
      ...withMode(section(1, 10, 10, 20, [{ t: 19, pid: 1, ev: 'torn_read', key: 'k', token: 10 }]), 'read'),
    ];
    expect(checkRun(torn, { k: [] }, { primitive: 'rw' }).violations.join()).toMatch(/1 torn read/);
    // writer 12 granted, then a writer whose acquire began later gets 11; a reader later gets 9 (below 12)
    const order = [
      ...ready(1, 2),
      ...withMode(section(1, 12, 10, 20), 'write'),
      ...withMode(section(2, 11, 30, 40), 'write', 25),
      ...withMode(section(1, 9, 50, 60), 'read', 45),
      ...withMode(section(2, 12, 70, 80), 'read', 65), // equal to the highest: fine for a reader
    ];
    const r = checkRun(order, { k: [] }, { primitive: 'rw' });
    expect(r.metrics.tokenOrderViolations).toBe(2);
    expect(r.violations.join()).toMatch(/2 acquisition\(s\) whose token was not above/);
    expect(checkRun(order, { k: [] }, {}).violations).toEqual([]); // reported, not enforced, for mutexes
  });

  it('semaphore: more permits inside than the semaphore has, weighted by count', () => {
    const sem = (pid: number, token: number, start: number, end: number, count = 1, extra: Ev[] = []) =>
      withMode(section(pid, token, start, end, extra), 'sem', undefined, count);
    const clean = [...ready(1, 2, 3), ...sem(1, 10, 10, 30), ...sem(2, 11, 15, 35), ...sem(3, 12, 31, 50, 2)];
    const ok = checkRun(
      clean,
      { 'k#slot0': [], 'k#slot1': [] },
      { primitive: 'sem', permits: 3, expectNoOverlap: true },
    );
    expect(ok.violations).toEqual([]);
    expect(ok.metrics.maxInside).toBe(3);
    const over = checkRun(clean, {}, { primitive: 'sem', permits: 2, requireLostSignal: true });
    expect(over.metrics.overlaps).toBe(1); // at 31: 1 (pid 2) + 2 (pid 3)
    expect(over.violations.join()).toMatch(/1 moment\(s\) with more than 2 permits inside although no holder's signal/);
    const lost = [
      ...ready(1, 2, 3),
      ...sem(1, 10, 10, 100, 1, [{ t: 90, pid: 1, ev: 'lost', key: 'k', token: 10 }]),
      ...sem(2, 11, 20, 30),
      ...sem(3, 12, 25, 35),
    ];
    const r = checkRun(lost, {}, { primitive: 'sem', permits: 2, requireLostSignal: true });
    expect(r.metrics.overlaps).toBe(1);
    expect(r.metrics.overlapsUnsignaled).toBe(0);
    expect(r.violations).toEqual([]);
  });

  it('semaphore kill: recovery is when the killed permits are in use again', () => {
    const sem = (pid: number, token: number, start: number, end: number) =>
      withMode(section(pid, token, start, end), 'sem', undefined, 1);
    const events = [
      ...ready(1, 2, 3),
      { t: 10, pid: 1, ev: 'acquired', key: 'k', token: 10, mode: 'sem', count: 1 },
      { t: 11, pid: 1, ev: 'cs_start', key: 'k', token: 10, mode: 'sem', count: 1 },
      { t: 20, pid: 99, ev: 'fault', kind: 'kill', target: 1, pttl: 500, key: 'k', mode: 'sem', count: 1 },
      ...sem(2, 11, 30, 130), // one permit keeps cycling: not a recovery
      ...sem(3, 12, 140, 240),
      ...sem(2, 13, 510, 610),
      ...sem(3, 14, 520, 620), // two held by others: the killed permit is back
    ];
    const r = checkRun(events, {}, { primitive: 'sem', permits: 2, recoveryBoundMs: 50 });
    expect(r.metrics.recoveryMs).toBe(500);
    expect(r.violations).toEqual([]);
  });

  it('an empty run is a failure, not a pass', () => {
    expect(checkRun([], {}, {}).violations).toEqual(['no acquisitions at all (the run did not work)']);
  });
});
