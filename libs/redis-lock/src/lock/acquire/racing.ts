import { performance } from 'node:perf_hooks';
import { DeadlockError, LockBackendError, LockShutdownError } from '../../errors/index.js';
import { grantInTime, LATE_GRANT } from '../lock-validity.js';
import type { AcquireRequest, Granted } from './types.js';
import { acquireFair, supportsFairQueue } from './fair.js';
import { retryDelay } from './retry-delay.js';
import { Waiter } from './waiter.js';

/**
 * Tries to take a lock, waiting while it is busy. Unless the call wants its fencing token minted in
 * the acquire (`fence: true`) or this process already waits for the lock (`store.watched`), the
 * first attempt is the store's fast path (`claim`: one native `SET NX PX` on Redis); only a busy
 * answer goes on to the scripted attempts: in the fair queue (see
 * acquire/fair.ts) when the call asks for fairness and the store has a queue, otherwise
 * {@link acquireRacing}.
 */
export function acquireWithRetry(req: AcquireRequest): Promise<Granted | null> {
  // Not async: its promise would only wrap the one it returns (one more promise and two microtask hops per acquisition).
  // A lock this process already waits for is contended: the bare SET would only answer busy.
  return !req.call.fence && req.store.claim && !req.store.watched?.(req.name) ? claimFirst(req) : scripted(req);
}

const scripted = (req: AcquireRequest): Promise<Granted | null> =>
  req.call.fair && supportsFairQueue(req.store) ? acquireFair(req) : acquireRacing(req);

/**
 * The uncontended acquire. A free key is free of queued waiters too (a release with waiters hands the
 * lock over inside its script, so the key never goes free while they queue; see docs/fair-locking.md
 * for the one exception, a holder's TTL running out), so a bare `SET NX` jumps no queue.
 */
async function claimFirst(req: AcquireRequest): Promise<Granted | null> {
  if (req.lifecycle.isShuttingDown()) throw new LockShutdownError(req.name);
  req.call.signal?.throwIfAborted();
  let claimed: boolean;
  try {
    claimed = await req.store.claim!(req.name, req.owner, req.call.ttlMs);
  } catch (error) {
    // A SET that timed out may still run when Redis answers again (a stall): undo it (owner-checked).
    if (error instanceof LockBackendError && error.timedOut) {
      req.store.release(req.name, req.owner).catch(() => undefined);
    }
    throw error;
  }
  // A claim whose reply came after its validity ended was given back (grantInTime): go on as if busy.
  if (claimed && grantInTime(req.store, [req.name], req.owner, req.call.ttlMs, req.started)) {
    return { fence: undefined, holdCount: 1, sentAt: req.started, attempts: 1, waitMs: 0 };
  }
  return scripted(req);
}

/**
 * Takes a lock, waiting per the retry strategy while it is busy. After the first busy answer the
 * caller subscribes to the lock's release channel and checks once more (so a release in between is
 * not missed); from then on it sleeps until its backoff delay, the holder's TTL, or a release
 * message, whichever comes first.
 */
async function acquireRacing(req: AcquireRequest): Promise<Granted | null> {
  const { store, call, name } = req;
  const started = req.started;
  let attempts = 0;
  // A fair hand-off to another owner does not wake a racer: the lock is taken again.
  const waiter = new Waiter(req, (event) => event.kind === 'released');
  try {
    for (;;) {
      waiter.beforeAttempt();
      const sentAt = attempts === 0 ? started : performance.now();
      const reply = await store.acquire(name, req.owner, call.ttlMs, call.reentrant, call.fence);
      attempts++;
      if (reply.acquired && grantInTime(store, [name], req.owner, call.ttlMs, sentAt)) {
        return { fence: reply.fence, holdCount: reply.holdCount, sentAt, attempts, waitMs: sentAt - started };
      }
      // Granted, but the reply came after the lock's validity ended: given back, not acquired.
      const result = reply.acquired ? LATE_GRANT : reply;
      if (result.heldBySelf) {
        throw new DeadlockError(
          [name],
          'this owner already holds the lock and the call is not reentrant, so it would wait for itself',
        );
      }
      if (req.once) return null;
      await req.deadlock?.onBusy(result.holderWaitsFor);
      if (await waiter.subscribeOnce()) continue;
      const { maxRetries, maxElapsedMs } = call.retry;
      const delay = retryDelay(call.retry, waiter.retryCount + 1, call.retryFn);
      await waiter.sleep(waiter.nextDelay(delay, result.holderTtlMs, maxElapsedMs, attempts, maxRetries));
    }
  } catch (error) {
    // An attempt that timed out may still run when Redis answers again (a stall) and take the lock
    // for nobody. An owner-checked release sent behind it on the same connection undoes that.
    if (error instanceof LockBackendError && error.timedOut) store.release(name, req.owner).catch(() => undefined);
    throw error;
  } finally {
    waiter.close();
  }
}
