import { describe, expect, it } from 'vitest';
import type { LockStore } from './lock-store.js';
import { MemoryLockStore } from './memory-lock.store.js';
import { RedlockStore } from './redlock.store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node whose acquire answers `delayMs` after granting. */
function slowNode(delayMs: number): LockStore & { inner: MemoryLockStore } {
  const inner = new MemoryLockStore();
  const node = Object.create(inner) as LockStore & { inner: MemoryLockStore };
  node.inner = inner;
  node.acquire = async (...args: Parameters<LockStore['acquire']>) => {
    const result = await inner.acquire(...args);
    await sleep(delayMs);
    return result;
  };
  return node;
}

describe('RedlockStore', () => {
  it('a quorum reached after the validity ran out is "not acquired", not a backend failure; no lock left', async () => {
    const nodes = [slowNode(40), slowNode(40), slowNode(40)];
    const store = new RedlockStore({ nodes });
    const result = await store.acquire('late', 'owner-1', 30, false);
    expect(result).toMatchObject({ acquired: false, heldBySelf: false });
    for (const node of nodes) expect((await node.inner.inspect('late')).held).toBe(false);
  });
});
