import type { DemoStore } from './demo-store.js';

/**
 * Counts, in the demo's data store (so across every instance), who is inside a critical section:
 * `enter` adds one and returns the count, `leave` takes it back. The lock-protected endpoints report
 * what they saw, so a test (or a curious user) can check "never a writer together with anyone" and
 * "never more than N permit holders" from the answers alone. A process killed inside the section
 * leaves its count behind (`POST /inventory/reset` does not clear it; restart Redis or `DEL` the key).
 *
 * @example
 * const readers = new Occupancy(store, 'demo:catalog:readers');
 * const inside = await readers.enter();
 * try { ... } finally { await readers.leave(); }
 */
export class Occupancy {
  constructor(
    private readonly store: DemoStore,
    /** The counter's key in the data store. */
    readonly key: string,
  ) {}

  /** Counts the caller in; resolves the number inside now, the caller included. */
  enter(): Promise<number> {
    return this.store.incrBy(this.key, 1);
  }

  /** Counts the caller out. */
  async leave(): Promise<void> {
    await this.store.incrBy(this.key, -1);
  }

  /** The number inside now. */
  async count(): Promise<number> {
    return (await this.store.get(this.key)) ?? 0;
  }
}
