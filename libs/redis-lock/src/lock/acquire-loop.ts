import { performance } from 'node:perf_hooks';
import { DeadlockError, LockAcquireTimeoutError, LockBackendError, LockShutdownError } from '../errors/index.js';
import type { LockStore } from '../store/lock-store.js';
import type { ReleaseEvent } from '../store/release-event.js';
import type { DeadlockProbe } from './deadlock-probe.js';
import type { LockEvents } from './lock-events.js';
import { grantInTime, LATE_GRANT } from './lock-validity.js';
import type { CallOptions } from './resolve-call-options.js';
import { acquireFair, supportsFairQueue } from './fair-acquire.js';
import { retryDelay } from './retry-delay.js';
import { sleepUntilWoken, subscribeOrPoll } from './wait-helpers.js';

/** What one acquisition needs to know. */
export interface AcquireRequest {
  store: LockStore;
  events: LockEvents;
  name: string;
  label: string;
  owner: string;
  call: CallOptions;
  /** Attempt once and return null when busy. */
  once: boolean;
  /** Shutdown state and the wake-up hooks it uses to cancel waiters. */
  lifecycle: { isShuttingDown(): boolean; waiters: Set<() => void> };
  /** Deadlock detection for a context that holds other locks while it waits (see deadlock-probe.ts). */
  deadlock?: DeadlockProbe;
  /**
   * Monotonic time (ms) the caller started, before anything was sent: the wait is measured from it,
   * and the first attempt's validity counts from it (an earlier start than its send time is safe).
   */
  started: number;
}

/**
 * A granted lock, with the monotonic time the successful command was sent (validity starts there).
 * Never one whose validity had already ended when the reply came (see `grantInTime`).
 */
export interface Granted {
  /** The fencing token when the acquire minted one (`fence: true`, a fair hand-off), else `undefined`. */
  fence: number | undefined;
  holdCount: number;
  sentAt: number;
  attempts: number;
  waitMs: number;
}

/**
 * Tries to take a lock, waiting while it is busy. Unless the call wants its fencing token minted in
 * the acquire (`fence: true`), the first attempt is the store's fast path (`claim`: one native
 * `SET NX PX` on Redis); only a busy answer goes on to the scripted attempts: in the fair queue (see
 * fair-acquire.ts) when the call asks for fairness and the store has a queue, otherwise
 * {@link acquireRacing}.
 */
export function acquireWithRetry(req: AcquireRequest): Promise<Granted | null> {
  // Not async: its promise would only wrap the one it returns (one more promise and two microtask hops per acquisition).
  return !req.call.fence && req.store.claim ? claimFirst(req) : scripted(req);
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
    if (error instanceof LockBackendError && error.timedOut) req.store.release(req.name, req.owner).catch(() => undefined);
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
  let retries = 0;
  let unsubscribe: (() => void) | undefined;
  let subscribed = false;
  let woken = false;
  let wake: (() => void) | undefined;
  const onRelease = (event: ReleaseEvent) => {
    if (event.kind === 'handedOff') return; // a fair hand-off to another owner: the lock is taken again
    woken = true;
    wake?.();
  };
  try {
    for (;;) {
      if (req.lifecycle.isShuttingDown()) throw new LockShutdownError(name);
      call.signal?.throwIfAborted();
      const sentAt = attempts === 0 ? started : performance.now();
      woken = false;
      const reply = await store.acquire(name, req.owner, call.ttlMs, call.reentrant, call.fence);
      attempts++;
      if (reply.acquired && grantInTime(store, [name], req.owner, call.ttlMs, sentAt)) {
        return { fence: reply.fence, holdCount: reply.holdCount, sentAt, attempts, waitMs: sentAt - started };
      }
      // Granted, but the reply came after the lock's validity ended: given back, not acquired.
      const result = reply.acquired ? LATE_GRANT : reply;
      if (result.heldBySelf) {
        throw new DeadlockError([name], 'this owner already holds the lock and the call is not reentrant, so it would wait for itself');
      }
      if (req.once) return null;
      await req.deadlock?.onBusy(result.holderWaitsFor);
      if (!subscribed) {
        subscribed = true;
        unsubscribe = await subscribeOrPoll(store, name, onRelease);
        continue;
      }
      const elapsed = performance.now() - started;
      const { maxRetries, maxElapsedMs } = call.retry;
      if ((maxRetries >= 0 && retries >= maxRetries) || elapsed >= maxElapsedMs) {
        throw new LockAcquireTimeoutError(name, attempts, elapsed);
      }
      retries++;
      let delay = retryDelay(call.retry, retries, call.retryFn);
      if (result.holderTtlMs > 0) delay = Math.min(delay, result.holderTtlMs + 1);
      delay = Math.max(0, Math.min(delay, maxElapsedMs - elapsed));
      req.events.emit('retry', { name: req.label, key: name, attempt: retries, delayMs: delay });
      if (!woken) await sleepUntilWoken(delay, call.signal, req.lifecycle.waiters, (fn) => (wake = fn));
      wake = undefined;
    }
  } catch (error) {
    // An attempt that timed out may still run when Redis answers again (a stall) and take the lock
    // for nobody. An owner-checked release sent behind it on the same connection undoes that.
    if (error instanceof LockBackendError && error.timedOut) store.release(name, req.owner).catch(() => undefined);
    throw error;
  } finally {
    unsubscribe?.();
    req.deadlock?.done();
  }
}

