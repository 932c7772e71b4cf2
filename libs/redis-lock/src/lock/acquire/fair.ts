import { performance } from 'node:perf_hooks';
import { LockBackendError } from '../../errors/index.js';
import type { ProvisionalHandOff } from '../../store/release-event.js';
import type { LockStore } from '../../store/lock-store.js';
import type { AcquireRequest, Granted } from './types.js';
import { grantInTime, LATE_GRANT } from '../lock-validity.js';
import { retryDelay } from './retry-delay.js';
import { Waiter } from './waiter.js';

/**
 * How long a fair waiter's queue entry lives without a refresh. A waiter that dies drops out of
 * the queue within this time; a living one refreshes it at least every quarter of it.
 * See docs/fair-locking.md.
 *
 * @default 2000
 * @example
 * // a waiter killed while queued stops blocking the queue after at most:
 * console.log(`${FAIR_QUEUE_ENTRY_TTL_MS} ms`);
 */
export const FAIR_QUEUE_ENTRY_TTL_MS = 2000;

/** Whether `store` implements the fair queue. */
export function supportsFairQueue(
  store: LockStore,
): store is LockStore & Required<Pick<LockStore, 'acquireFair' | 'leaveFairQueue'>> {
  // A wrapper (the circuit breaker) always has the methods; it says whether the store it wraps has a queue.
  return (
    typeof store.acquireFair === 'function' &&
    typeof store.leaveFairQueue === 'function' &&
    (store as { fairQueue?: boolean }).fairQueue !== false
  );
}

/**
 * Fair acquisition: the caller queues in Redis in arrival order. A release makes the queue's head
 * the owner and publishes a grant naming it (by hash), so the head holds the lock as soon as the
 * message arrives, without an acquire round trip. A queued waiter does not poll: it re-attempts
 * only when a quarter of its queue entry's lifetime has passed (refreshing the entry), when the
 * holder's TTL runs out, or on a plain release message; a lost grant message therefore costs at
 * most one such period.
 *
 * Giving up: a fair waiter waits as long as the retry strategy would have kept retrying: the sum
 * of its first `maxRetries` delays without jitter (no limit with `-1`), never past `maxElapsedTime`.
 *
 * Validity of a handed-off lock is measured from the send time of the last attempt that was
 * answered "busy": the hand-off happened after Redis ran that attempt, so the lock's expiry in
 * Redis is never earlier than the local one. A grant (direct or handed off) whose validity ended
 * before its answer arrived is released at once and counts as not acquired.
 */
export async function acquireFair(req: AcquireRequest): Promise<Granted | null> {
  const { call, name } = req;
  const store = req.store as LockStore & Required<Pick<LockStore, 'acquireFair' | 'leaveFairQueue'>>;
  const started = req.started;
  let attempts = 0;
  let budgetMs: number | undefined; // computed when a wait first needs it (never on the uncontended path)
  let queued = false;
  let lastBusySentAt = started;
  type Grant = { fence: number | undefined; provisional?: ProvisionalHandOff };
  const got: { grant?: Grant } = {};
  const grantNow = (): Grant | undefined => got.grant;
  const waiter = new Waiter(req, (event) => {
    if (event.kind === 'handedOff') {
      if (!event.isFor(req.owner)) return false; // handed to another waiter: keep sleeping
      got.grant = { fence: event.fence, provisional: event.provisional };
    }
    return true;
  });
  // A grant whose validity already ended when its answer came is no lock: given back (passed on to
  // the next waiter), and the attempt counts as not acquired.
  const inTime = (
    sentAt: number,
    fence: number | undefined,
    holdCount: number,
    provisional?: ProvisionalHandOff,
  ): Granted | undefined => {
    // An in-process hand-off is valid no longer than the releaser's holding until Redis confirms it.
    if (!grantInTime(store, [name], req.owner, call.ttlMs, sentAt, provisional?.until)) return undefined;
    done = true;
    return { fence, holdCount, sentAt, attempts, waitMs: performance.now() - started, provisional };
  };
  const handOff = async (grant: Grant): Promise<Granted | undefined> => {
    const { fence, provisional } = grant;
    let sentAt = lastBusySentAt;
    // Redis gave us a full TTL at the hand-off, but locally validity can only count from the last
    // busy answer. After a long wait (slow network) little of it is left: refresh it with one
    // owner-checked renewal instead of reporting a lock lost that Redis just granted.
    const renewAt = performance.now();
    if (sentAt + call.ttlMs / 2 < renewAt) {
      if (!(await store.renew(name, req.owner, call.ttlMs))) return undefined; // gone already: not ours
      sentAt = renewAt;
    }
    return inTime(sentAt, fence, 1, provisional);
  };
  // Listen before the first attempt when the channel is already subscribed (costs nothing); otherwise
  // subscribe after the first busy answer and attempt once more, so no grant is missed.
  waiter.watchIfActive();
  let done = false;
  try {
    for (;;) {
      if (got.grant) {
        const granted = await handOff(got.grant);
        if (granted) return granted;
        got.grant = undefined; // too late to use: attempt again (queues anew)
      }
      waiter.beforeAttempt();
      const sentAt = attempts === 0 ? started : performance.now();
      const queue = !req.once;
      const reply = await store.acquireFair(name, req.owner, call.ttlMs, FAIR_QUEUE_ENTRY_TTL_MS, queue, call.fence);
      attempts++;
      if (reply.acquired) {
        const granted = reply.handedOff ? await handOff(reply) : inTime(sentAt, reply.fence, reply.holdCount);
        if (granted) return granted;
      } else {
        const late = grantNow();
        if (late) {
          const granted = await handOff(late);
          if (granted) return granted;
          got.grant = undefined;
        }
        lastBusySentAt = sentAt;
      }
      const result = reply.acquired ? LATE_GRANT : reply; // a grant that came too late was given back
      if (req.once) return null;
      queued = true;
      await req.deadlock?.onBusy(result.holderWaitsFor); // may throw DeadlockError (leaves the queue below)
      if (await waiter.subscribeOnce()) continue;
      budgetMs ??= waitBudget(call);
      const position = reply.acquired ? undefined : reply.queuePosition;
      await waiter.sleep(
        waiter.nextDelay(FAIR_QUEUE_ENTRY_TTL_MS / 4, result.holderTtlMs, budgetMs, attempts),
        position,
      );
    }
  } catch (error) {
    // Giving up (timeout, abort, shutdown, backend error): leave the queue, and pass the lock on
    // if a release handed it to us meanwhile. Best effort: the entry expires by itself anyway.
    // After a backend failure it is not awaited: Redis is not answering, and the caller must get its
    // LockBackendError within one command timeout, not two.
    // An attempt that timed out was sent and may still run when Redis answers again (a stall): it
    // would queue us, or take the lock, for nobody. The leave goes out behind it on the same
    // connection, so it runs right after it and undoes either.
    const mayRunLater = error instanceof LockBackendError && error.timedOut;
    if ((queued || mayRunLater) && !done) {
      const leaving = store.leaveFairQueue(name, req.owner).catch(() => undefined);
      if (!(error instanceof LockBackendError)) await leaving;
    }
    throw error;
  } finally {
    waiter.close();
  }
}

/** How long a fair waiter may wait: the retry strategy's delays (without jitter) added up, at most `maxElapsedTime`. */
function waitBudget(call: AcquireRequest['call']): number {
  const { maxRetries, maxElapsedMs } = call.retry;
  if (maxRetries < 0) return maxElapsedMs;
  let total = 0;
  for (let retry = 1; retry <= maxRetries && total < maxElapsedMs; retry++)
    total += retryDelay(call.retry, retry, call.retryFn, () => 1);
  return Math.min(total, maxElapsedMs);
}
