import { describe, expect, it } from 'vitest';
import { MemoryLockStore } from './memory-lock.store.js';
import { RW_PERMITS, type PermitSpec } from './permit-store.js';
import type { ReleaseEvent } from './release-event.js';

const READ: PermitSpec = { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' };
const WRITE: PermitSpec = { family: 'rw', count: RW_PERMITS, limit: RW_PERMITS, fence: 'mint' };

// What only the in-process store needs (the shared cases: test/support/permit-store-contract.ts).
describe('MemoryLockStore permits', () => {
  it('tells listeners only once the whole step is done: the first grant already sees every reader of the run', async () => {
    const store = new MemoryLockStore();
    await store.acquirePermits('doc', 'w', WRITE, 5000, 5000, false, false);
    for (const r of ['r1', 'r2', 'r3']) await store.acquirePermits('doc', r, READ, 5000, 5000, true, false);
    const seen: Promise<number>[] = [];
    await store.onPermitRelease('doc', 'rw', (event: ReleaseEvent) => {
      // A listener that calls back into the store at once: the store's methods run synchronously,
      // so this reads the state as it is while the grants are being told.
      if (event.kind === 'handedOff') seen.push(store.inspectPermits('doc', 'rw').then((info) => info.used));
    });
    expect(await store.releasePermits('doc', 'rw', 'w')).toBe(0);
    expect(await Promise.all(seen)).toEqual([3, 3, 3]);
    await store.close();
  });

  it('renews permit holdings in renewMany when the request names a family, mutexes otherwise', async () => {
    const store = new MemoryLockStore();
    await store.acquirePermits('x', 'a', READ, 1000, 1000, false, false);
    await store.acquire('x', 'a', 1000, false);
    expect(
      await store.renewMany([
        { name: 'x', owner: 'a', ttlMs: 5000, family: 'rw' },
        { name: 'x', owner: 'a', ttlMs: 5000, family: 'sem' },
        { name: 'x', owner: 'a', ttlMs: 5000 },
      ]),
    ).toEqual([true, false, true]);
    expect((await store.inspectPermits('x', 'rw')).holders[0].ttlMs).toBeGreaterThan(1000);
    expect((await store.inspect('x')).ttlMs).toBeGreaterThan(1000);
  });

  it('drops permit listeners on close', async () => {
    const store = new MemoryLockStore();
    let calls = 0;
    await store.onPermitRelease('x', 'sem', () => calls++);
    await store.close();
    await store.acquirePermits(
      'x',
      'a',
      { family: 'sem', count: 1, limit: 1, fence: 'mint' },
      1000,
      1000,
      false,
      false,
    );
    expect(await store.forceReleasePermits('x', 'sem')).toBe(true);
    expect(calls).toBe(0);
  });
});
