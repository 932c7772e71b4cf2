import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LocalSuccessors } from './local-successors.js';
import { RELEASED } from './release-event.js';

const CH = 'lynx:lock:{job}:released';
const waiter = (seq: number, over: Partial<Parameters<LocalSuccessors['queued']>[2]> = {}) => ({
  seq,
  localAhead: true,
  sentAt: performance.now(),
  queueTtlMs: 2000,
  ttlMs: 5000,
  fence: false,
  ...over,
});

describe('LocalSuccessors: which own waiter heads a fair queue', () => {
  it('the earliest own waiter whose entries ahead were all own is the head; taking it removes it', () => {
    const s = new LocalSuccessors();
    s.queued(CH, 'b', waiter(8));
    s.queued(CH, 'a', waiter(7));
    expect(s.takeHead(CH)).toEqual({ owner: 'a', ttlMs: 5000 });
    expect(s.takeHead(CH)).toEqual({ owner: 'b', ttlMs: 5000 });
    expect(s.takeHead(CH)).toBeUndefined();
    expect(s.has(CH)).toBe(false);
    expect(s.any()).toBe(false);
  });

  it('a foreign waiter ahead of the earliest own one: no head known, not even a later own waiter', () => {
    const s = new LocalSuccessors();
    s.queued(CH, 'a', waiter(7, { localAhead: false }));
    s.queued(CH, 'b', waiter(8, { localAhead: true }));
    expect(s.takeHead(CH)).toBeUndefined();
    expect(s.has(CH)).toBe(true); // nothing removed
  });

  it('no head for a waiter that wants its token in the grant, or whose entry may be about to expire', () => {
    const s = new LocalSuccessors();
    s.queued(CH, 'a', waiter(7, { fence: true }));
    expect(s.takeHead(CH)).toBeUndefined();
    s.queued(CH, 'a', waiter(7, { sentAt: performance.now() - 1001 })); // more than half of 2 s ago
    expect(s.takeHead(CH)).toBeUndefined();
    s.queued(CH, 'a', waiter(7)); // refreshed
    expect(s.takeHead(CH)?.owner).toBe('a');
  });

  it('an attempt answered after its waiter left the queue does not put it back', () => {
    const s = new LocalSuccessors();
    s.queued(CH, 'a', waiter(7));
    expect(s.takeHead(CH)?.owner).toBe('a'); // handed the lock
    s.queued(CH, 'a', waiter(7)); // its refresh, sent before the hand-over, answered after it
    expect(s.has(CH)).toBe(false);
    s.queued(CH, 'b', waiter(8));
    expect(s.takeHead(CH)?.owner).toBe('b');
  });

  it('a waiter granted through Redis, or gone, is no longer queued; other channels are untouched', () => {
    const s = new LocalSuccessors();
    s.queued(CH, 'a', waiter(7));
    s.queued(CH, 'b', waiter(8));
    s.queued('other', 'c', waiter(1));
    s.granted(CH, RELEASED); // a plain release names nobody
    s.granted(CH, { kind: 'handedOff', fence: 3, isFor: (owner) => owner === 'a' });
    expect(s.takeHead(CH)?.owner).toBe('b');
    s.left('other', 'c');
    expect(s.has('other')).toBe(false);
    s.queued(CH, 'd', waiter(9));
    s.clear();
    expect(s.has(CH)).toBe(false);
  });
});
