import type { RedisLikeClient } from './redis-client.js';

/**
 * Reference-counted subscriptions to lock release channels on one dedicated subscriber
 * connection, created on first use. Many waiters on one lock share one SUBSCRIBE.
 */
export class ReleaseSubscriptions {
  private subscriber?: RedisLikeClient;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(
    private readonly createSubscriber: () => RedisLikeClient,
    private readonly guard: <T>(operation: string, promise: Promise<T>) => Promise<T>,
  ) {}

  /** Adds a listener; resolves when the channel's SUBSCRIBE is confirmed. */
  async add(channel: string, listener: () => void): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    const remove = () => this.remove(channel, listener);
    try {
      let ready = this.pending.get(channel);
      if (!ready) {
        ready = this.guard('subscribe', this.connection().subscribe(channel));
        this.pending.set(channel, ready);
        ready.catch(() => this.pending.delete(channel));
      }
      await ready;
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  private remove(channel: string, listener: () => void): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.pending.delete(channel);
    this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  private connection(): RedisLikeClient {
    if (!this.subscriber) {
      this.subscriber = this.createSubscriber();
      this.subscriber.on('error', () => undefined); // reconnects by itself; waiters fall back to their timers
      this.subscriber.on('message', (channel: string) => {
        for (const listener of this.listeners.get(channel) ?? []) listener();
      });
    }
    return this.subscriber;
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    this.listeners.clear();
    this.pending.clear();
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }
}
