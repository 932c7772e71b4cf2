import type { LockHandle } from './handles/lock-handle.js';

/**
 * Graceful shutdown of one `LockService` (Lynx "cleanup"): refuses new acquisitions, wakes and
 * cancels waiters, gives running critical sections up to the grace period, then gives up every lock
 * still held, and remembers for each whether Redis got it back (for a `release()` after shutdown).
 *
 * @example
 * const shutdown = new ShutdownCoordinator(5000);
 * const result = shutdown.track(runCriticalSection());
 * await shutdown.shutDown(() => scheduler.held(), () => scheduler.stop(), (h) => store.release(h.getKey(), h.getValue()));
 */
export class ShutdownCoordinator {
  /** What the acquire loops watch: shutdown state, and the wake-ups of sleeping waiters. */
  readonly lifecycle = {
    shuttingDown: false,
    isShuttingDown: () => this.lifecycle.shuttingDown,
    waiters: new Set<() => void>(),
  };
  /** The store is closed (after `onApplicationShutdown`). */
  closed = false;
  private readonly running = new Set<Promise<unknown>>();
  /** Locks the shutdown released (true) or failed to release (false). */
  private readonly released = new WeakMap<LockHandle, Promise<boolean>>();

  constructor(private readonly graceMs: number) {}

  get shuttingDown(): boolean {
    return this.lifecycle.shuttingDown;
  }

  /** Counts `work` (a critical section) as running until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(tracked);
    void tracked.then(() => this.running.delete(tracked));
    return work;
  }

  /** Whether the shutdown gave `root` up, and whether Redis got it back then (`undefined`: not given up). */
  releasedAtShutdown(root: LockHandle): Promise<boolean> | undefined {
    return this.released.get(root);
  }

  /**
   * Runs the shutdown once: `held` lists the locks still held after the grace period, `stop` stops
   * the watchdog, `giveUp` marks one lost and sends its release (its promise: whether Redis answered).
   */
  async shutDown(
    held: () => LockHandle[],
    stop: () => void,
    giveUp: (handle: LockHandle) => Promise<unknown>,
  ): Promise<void> {
    if (this.lifecycle.shuttingDown) return;
    this.lifecycle.shuttingDown = true;
    for (const wake of [...this.lifecycle.waiters]) wake();
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => (timer = setTimeout(resolve, this.graceMs))),
      ]);
      clearTimeout(timer);
    }
    stop();
    await Promise.allSettled(
      held().map((handle) => {
        // Whether the lock is gone from Redis (released, or already expired); a later handle.release() reads it.
        const released = giveUp(handle).then(
          () => true,
          () => false,
        );
        this.released.set(handle, released);
        return released;
      }),
    );
  }
}
