/** Outcome of one acquire attempt. */
export type AcquireResult =
  | {
      /** The caller now holds the lock (or one more reentrant hold of it). */
      acquired: true;
      /**
       * Fencing token of this ownership (strictly greater than any earlier token of the same name), or
       * `undefined` when it is not minted yet (see {@link LockStore.mintFence}).
       */
      fence: number | undefined;
      /** Holds of this owner after the call (1 for a first acquisition). */
      holdCount: number;
    }
  | {
      acquired: false;
      /** Remaining TTL of the current holder in ms (-1 when unknown). */
      holderTtlMs: number;
      /** The lock is held by this very owner token (a non-reentrant re-acquire). */
      heldBySelf: boolean;
      /**
       * What the holder itself waits for (deadlock detection, see `setWaitsFor`): a name, `null` when
       * it records no wait, `undefined` when this answer does not tell (the caller asks `waitsFor`).
       */
      holderWaitsFor?: string | null;
    };

/**
 * Outcome of one fair-queue attempt (`LockStore.acquireFair`): an {@link AcquireResult}, and
 * whether a release had already handed the lock over (`handedOff`); for an attempt that queued the
 * caller, its place (`queuePosition`: waiters ahead of it, 0 = next in line), when the store knows it.
 *
 * @example
 * const r: FairAcquireResult = await store.acquireFair!('job', owner, 30_000, 2000, true);
 * if (r.acquired && r.handedOff) console.log('a release made us the owner', r.fence);
 */
export type FairAcquireResult =
  | (AcquireResult & { acquired: true; handedOff: boolean })
  | (AcquireResult & { acquired: false; queuePosition?: number });
