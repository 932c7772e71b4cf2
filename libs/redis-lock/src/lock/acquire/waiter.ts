import { performance } from 'node:perf_hooks';
import { LockAcquireTimeoutError, LockShutdownError } from '../../errors/index.js';
import type { ReleaseEvent } from '../../store/release-event.js';
import type { AcquireRequest } from './types.js';
import { sleepUntilWoken, subscribeOrPoll } from './wait-helpers.js';

/**
 * The waiting half of an acquisition, the same for the racing and the fair loop: release-channel
 * listening (subscribe-or-poll, or a free listener when the channel is already subscribed), the wake
 * flag, the checks before each attempt (shutdown, abort), the deadline, the `retry` event and the
 * sleep until a release, the delay, abort or shutdown, and the clean-up. The loops keep only what
 * differs: what they send, and which release events wake them (`wakes`).
 *
 * @example
 * const waiter = new Waiter(req, (event) => event.kind === 'released');
 * try {
 *   for (;;) {
 *     waiter.beforeAttempt();
 *     // ... one attempt; on a busy answer:
 *     if (await waiter.subscribeOnce()) continue;
 *     await waiter.sleep(waiter.delayWithin(delay, budgetMs, attempts));
 *   }
 * } finally {
 *   waiter.close();
 * }
 */
export class Waiter {
  private woken = false;
  private wake?: () => void;
  private unsubscribe?: () => void;
  private subscribed = false;
  private retries = 0;

  /** `wakes` decides whether a release event ends the current sleep (it may record what it saw). */
  constructor(
    private readonly req: AcquireRequest,
    private readonly wakes: (event: ReleaseEvent) => boolean,
  ) {}

  private readonly listener = (event: ReleaseEvent): void => {
    if (!this.wakes(event)) return;
    this.woken = true;
    this.wake?.();
  };

  /** Listens at once when the store already subscribes to the lock's channel (sends nothing). */
  watchIfActive(): void {
    if (this.req.once || this.subscribed) return;
    this.unsubscribe = this.req.store.watchRelease?.(this.req.name, this.listener);
    this.subscribed = this.unsubscribe !== undefined;
  }

  /** Before each attempt: refuses during shutdown, honours the caller's abort signal, clears the wake flag. */
  beforeAttempt(): void {
    if (this.req.lifecycle.isShuttingDown()) throw new LockShutdownError(this.req.name);
    this.req.call.signal?.throwIfAborted();
    this.woken = false;
  }

  /**
   * After the first busy answer: subscribes to the lock's release channel (or degrades to polling)
   * and returns `true`, so the caller attempts once more at once and no release in between is
   * missed. `false` once subscribed.
   */
  async subscribeOnce(): Promise<boolean> {
    if (this.subscribed) return false;
    this.subscribed = true;
    this.unsubscribe = await subscribeOrPoll(this.req.store, this.req.name, this.listener);
    return true;
  }

  /** Retries so far (the number of the next one, minus one). */
  get retryCount(): number {
    return this.retries;
  }

  /**
   * The delay before the next retry: `delay`, no later than just after the holder's TTL runs out
   * (`holderTtlMs`), nor past `budgetMs` from the start; throws {@link LockAcquireTimeoutError} when
   * the budget (or `maxRetries`, when given) is spent.
   */
  nextDelay(delay: number, holderTtlMs: number, budgetMs: number, attempts: number, maxRetries = -1): number {
    const elapsed = performance.now() - this.req.started;
    if ((maxRetries >= 0 && this.retries >= maxRetries) || elapsed >= budgetMs) {
      throw new LockAcquireTimeoutError(this.req.name, attempts, elapsed, this.req.kind);
    }
    if (holderTtlMs > 0) delay = Math.min(delay, holderTtlMs + 1);
    return Math.max(0, Math.min(delay, budgetMs - elapsed));
  }

  /**
   * Emits `retry` (with the caller's place in the fair queue, when known) and sleeps up to `delayMs`,
   * unless a release already woke it since the last attempt.
   */
  async sleep(delayMs: number, queuePosition?: number): Promise<void> {
    this.retries++;
    this.req.events.emit('retry', {
      kind: this.req.kind,
      name: this.req.label,
      key: this.req.name,
      attempt: this.retries,
      delayMs,
      ...(queuePosition === undefined ? {} : { queuePosition }),
    });
    if (!this.woken)
      await sleepUntilWoken(delayMs, this.req.call.signal, this.req.lifecycle.waiters, (fn) => (this.wake = fn));
    this.wake = undefined;
  }

  /** Stops listening and withdraws the deadlock wait record. */
  close(): void {
    this.unsubscribe?.();
    this.req.deadlock?.done();
  }
}
