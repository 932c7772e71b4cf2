import { describe, expect, it } from 'vitest';
import { LockEvents } from './lock-events.js';
import type { LockKind } from './lock-kind.js';
import { StatisticsCollector } from './lock-statistics.js';
import { LatencyWindow, RateWindow } from './sliding-window.js';

describe('LatencyWindow', () => {
  it('summarises only samples inside the window', () => {
    let now = 0;
    const w = new LatencyWindow(1000, 16, () => now);
    expect(w.summary()).toEqual({ count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 });
    w.add(100);
    now = 600;
    w.add(10);
    w.add(20);
    expect(w.summary()).toEqual({ count: 3, avgMs: 43.33, p99Ms: 100, maxMs: 100 });
    now = 1200; // the first sample left the window
    expect(w.summary()).toEqual({ count: 2, avgMs: 15, p99Ms: 20, maxMs: 20 });
    now = 5000;
    expect(w.summary().count).toBe(0);
  });

  it('keeps at most `capacity` samples and computes p99 by nearest rank', () => {
    const w = new LatencyWindow(60_000, 100, () => 0);
    for (let i = 1; i <= 250; i++) w.add(i); // only 151..250 stay
    const s = w.summary();
    expect(s.count).toBe(100);
    expect(s.avgMs).toBe(200.5);
    expect(s.p99Ms).toBe(249);
    expect(s.maxMs).toBe(250);
  });

  it('ignores non-finite samples', () => {
    const w = new LatencyWindow(1000, 4, () => 0);
    w.add(Number.NaN);
    w.add(Infinity);
    expect(w.summary().count).toBe(0);
  });
});

describe('RateWindow', () => {
  it('counts operations and errors of the last window only', () => {
    let now = 0;
    const r = new RateWindow(1000, 10, () => now);
    r.record(false);
    r.record(true);
    now = 500;
    r.record(true);
    r.record(false);
    expect(r.rate()).toEqual({ operations: 4, errors: 2, rate: 0.5 });
    now = 1050; // the slice of t=0 is gone
    expect(r.rate()).toEqual({ operations: 2, errors: 1, rate: 0.5 });
    now = 3000;
    expect(r.rate()).toEqual({ operations: 0, errors: 0, rate: 0 });
  });
});

describe('StatisticsCollector', () => {
  it('counts every event and summarises wait and hold times over the window', () => {
    let now = 0;
    const events = new LockEvents();
    let active = 0;
    const stats = new StatisticsCollector(
      events,
      () => active,
      10_000,
      () => now,
    );
    events.emit('acquired', {
      kind: 'mutex',
      name: 'a',
      key: 'a',
      waitMs: 4,
      attempts: 1,
      reentrant: false,
      ownership: 1,
      fence: 1,
    });
    events.emit('acquired', {
      kind: 'mutex',
      name: 'a',
      key: 'a',
      waitMs: 0.1,
      attempts: 1,
      reentrant: true,
      ownership: 1,
      fence: 1,
    });
    active = 1;
    events.emit('released', {
      kind: 'mutex',
      name: 'a',
      key: 'a',
      heldMs: 50,
      expired: false,
      reentrant: true,
      ownership: 1,
      fence: 1,
    });
    events.emit('released', {
      kind: 'mutex',
      name: 'a',
      key: 'a',
      heldMs: 80,
      expired: false,
      reentrant: false,
      ownership: 1,
      fence: 1,
    });
    active = 0;
    events.emit('failed', { kind: 'mutex', name: 'b', key: 'b', reason: 'timeout', waitMs: 300 });
    events.emit('failed', { kind: 'mutex', name: 'b', key: 'b', reason: 'backend', waitMs: 1 });
    events.emit('retry', { kind: 'mutex', name: 'b', key: 'b', attempt: 1, delayMs: 100 });
    events.emit('renewed', { kind: 'mutex', name: 'c', key: 'c', ttlMs: 1000, heldMs: 500 });
    events.emit('renewalFailed', { kind: 'mutex', name: 'c', key: 'c', message: 'down' });
    events.emit('lost', { kind: 'mutex', name: 'c', key: 'c', reason: 'expired', ownership: 2, fence: 2 });
    events.emit('expired', { kind: 'mutex', name: 'c', key: 'c' });
    events.emit('skipped', { kind: 'mutex', name: 'd', key: 'd' });
    const s = stats.snapshot();
    expect(s).toMatchObject({
      activeLocks: 0,
      totalAcquired: 2,
      totalReleased: 2,
      totalFailed: 2,
      failuresByReason: { timeout: 1, backend: 1 },
      totalRetries: 1,
      totalRenewals: 1,
      totalRenewalErrors: 1,
      totalLost: 1,
      totalExpirations: 1,
      totalSkipped: 1,
      windowMs: 10_000,
      wait: { count: 1, avgMs: 4, p99Ms: 4, maxMs: 4 },
      hold: { count: 1, avgMs: 80, p99Ms: 80, maxMs: 80 },
    });
    // 2 acquisitions + 2 failures + 1 renewal + 1 renewal error; backend errors: 1 failure + 1 renewal error
    expect(s.recentErrorRate).toBe(0.3333);
    // snapshots are copies
    s.failuresByReason.timeout = 99;
    expect(stats.snapshot().failuresByReason.timeout).toBe(1);
    now = 20_000;
    const later = stats.snapshot();
    expect(later.wait.count).toBe(0);
    expect(later.recentErrorRate).toBe(0);
    expect(later.totalAcquired).toBe(2); // totals never slide
  });
});

describe('StatisticsCollector by kind', () => {
  it('breaks acquisitions, releases, failures and active holdings down by kind, totals unchanged', () => {
    const events = new LockEvents();
    const stats = new StatisticsCollector(events, () => 0);
    const hold = (kind: LockKind, ownership: number) => ({ kind, name: 'n', key: 'n', ownership, fence: 1 });
    const acquire = (kind: LockKind, ownership: number, reentrant = false) =>
      events.emit('acquired', { ...hold(kind, ownership), waitMs: 1, attempts: 1, reentrant });
    const release = (kind: LockKind, ownership: number, reentrant = false) =>
      events.emit('released', { ...hold(kind, ownership), heldMs: 5, expired: false, reentrant });
    expect(stats.snapshot().byKind).toEqual({
      mutex: { acquired: 0, released: 0, failed: 0, active: 0 },
      read: { acquired: 0, released: 0, failed: 0, active: 0 },
      write: { acquired: 0, released: 0, failed: 0, active: 0 },
      semaphore: { acquired: 0, released: 0, failed: 0, active: 0 },
    });
    acquire('mutex', 1);
    acquire('read', 2);
    acquire('read', 3);
    acquire('read', 3, true); // reentrant: counted as an acquisition, active once
    acquire('write', 4);
    acquire('semaphore', 5);
    acquire('semaphore', 6);
    release('read', 3, true);
    release('read', 3);
    release('semaphore', 5);
    events.emit('lost', { ...hold('write', 4), reason: 'expired' });
    release('write', 4); // a late release of the lost write: active does not go below
    events.emit('failed', { kind: 'write', name: 'n', key: 'n', reason: 'timeout', waitMs: 10 });
    events.emit('failed', { kind: 'semaphore', name: 'n', key: 'n', reason: 'aborted', waitMs: 10 });
    const s = stats.snapshot();
    expect(s.byKind).toEqual({
      mutex: { acquired: 1, released: 0, failed: 0, active: 1 },
      read: { acquired: 3, released: 2, failed: 0, active: 1 },
      write: { acquired: 1, released: 1, failed: 1, active: 0 },
      semaphore: { acquired: 2, released: 1, failed: 1, active: 1 },
    });
    expect(s.totalAcquired).toBe(7);
    expect(s.totalReleased).toBe(4);
    expect(s.totalFailed).toBe(2);
    expect(s.failuresByReason).toEqual({ timeout: 1, aborted: 1 });
    // snapshots are copies
    s.byKind.read.acquired = 99;
    expect(stats.snapshot().byKind.read.acquired).toBe(3);
  });
});
