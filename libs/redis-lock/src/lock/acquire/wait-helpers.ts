import { LockBackendError } from '../../errors/index.js';
import type { LockStore } from '../../store/lock-store.js';
import type { ReleaseListener } from '../../store/release-event.js';

/**
 * Sleeps up to `ms`; ends early when `signal` aborts, when shutdown wakes every waiter (the
 * function is in `waiters` meanwhile), or when the caller invokes the function passed to `setWake`
 * (a release message). Shared by the unfair and the fair wait loops.
 */
export function sleepUntilWoken(
  ms: number,
  signal: AbortSignal | undefined,
  waiters: Set<() => void>,
  setWake: (fn: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    waiters.add(done);
    setWake(done);
  });
}

/**
 * Subscribes a waiter to the lock's release channel. A subscription that fails for another reason
 * (no connection yet, an ACL without channel rights) degrades to polling on the backoff timer; one
 * that timed out means Redis stopped answering, so the acquisition fails now with that
 * `LockBackendError` instead of spending a second command timeout on the next attempt.
 */
export async function subscribeOrPoll(
  store: LockStore,
  name: string,
  listener: ReleaseListener,
): Promise<(() => void) | undefined> {
  try {
    return await store.onRelease(name, listener);
  } catch (error) {
    if (error instanceof LockBackendError && error.timedOut) throw error;
    return undefined;
  }
}
