import type { RedisLikeClient } from './redis-client.js';
import { decodeReleaseMessage, type ReleaseEvent, type ReleaseListener } from './release-event.js';

/** How long a channel stays subscribed after its last listener left, so busy locks do not churn SUBSCRIBE/UNSUBSCRIBE. */
const LINGER_MS = 1000;

/** Resolves in the check phase of this event-loop turn (see {@link ReleaseSubscriptions.handOver}). */
const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Reference-counted subscriptions to lock release channels on one dedicated subscriber
 * connection, created on first use. Many waiters on one lock share one SUBSCRIBE; a channel
 * stays subscribed for a moment after its last waiter left (the next contended acquisition
 * then listens at no cost, see {@link attachIfActive}). A message is decoded once
 * (`decodeReleaseMessage`) and the event passed to every listener of its channel.
 */
export class ReleaseSubscriptions {
  private subscriber?: RedisLikeClient;
  private readonly listeners = new Map<string, Set<ReleaseListener>>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly active = new Set<string>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();

  /** `observe` sees every event delivered to a channel that has listeners, before they do. */
  constructor(
    private readonly createSubscriber: () => RedisLikeClient,
    private readonly guard: <T>(operation: string, promise: Promise<T>) => Promise<T>,
    private readonly observe?: (channel: string, event: ReleaseEvent) => void,
  ) {}

  private listen(channel: string, listener: ReleaseListener): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    const timer = this.lingering.get(channel);
    if (timer) {
      clearTimeout(timer);
      this.lingering.delete(channel);
    }
    return () => this.remove(channel, listener);
  }

  /** Adds a listener; resolves when the channel's SUBSCRIBE is confirmed. */
  async add(channel: string, listener: ReleaseListener): Promise<() => void> {
    const remove = this.listen(channel, listener);
    try {
      let ready = this.pending.get(channel);
      if (!ready) {
        ready = this.guard('subscribe', this.connection().subscribe(channel));
        this.pending.set(channel, ready);
        ready.then(
          () => this.pending.get(channel) === ready && this.active.add(channel),
          () => this.pending.get(channel) === ready && this.pending.delete(channel),
        );
      }
      await ready;
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /** Whether `channel` is subscribed now (a listener, or one within the linger time). */
  isActive(channel: string): boolean {
    return this.active.has(channel);
  }

  /** Adds a listener only when the channel is already subscribed (sends nothing); otherwise `undefined`. */
  attachIfActive(channel: string, listener: ReleaseListener): (() => void) | undefined {
    if (!this.active.has(channel)) return undefined;
    return this.listen(channel, listener);
  }

  /**
   * Passes `message` to this process's listeners of `channel`, as if it had arrived over pub/sub.
   * A release that handed the lock over delivers its grant this way at once; the published copy
   * that follows finds the new owner already done (a grant names one acquisition's owner token).
   * Returns whether any listener of the channel heard it.
   */
  deliver(channel: string, message: string): boolean {
    if (!this.listeners.get(channel)?.size) return false;
    return this.deliverEvent(channel, decodeReleaseMessage(message));
  }

  /**
   * Passes a decoded event to this process's listeners of `channel` (see {@link deliver}); an
   * in-process hand-off is delivered this way. Returns whether any listener heard it.
   *
   * @example
   * subscriptions.deliverEvent(channel, { kind: 'handedOff', fence: undefined, isFor: (o) => o === next });
   */
  deliverEvent(channel: string, event: ReleaseEvent): boolean {
    const set = this.listeners.get(channel);
    if (!set?.size) return false;
    this.observe?.(channel, event);
    for (const listener of [...set]) listener(event);
    return true;
  }

  /**
   * A release's hand-off grants (from its script's reply) passed to this process's listeners at once,
   * without waiting for the published copies. When a listener heard them, resolves only in the check
   * phase of this turn (`setImmediate`): the new holder resumes first, and the releaser's next work
   * (often its next acquire, a round trip and a socket write) no longer runs ahead of it on the lock's
   * critical path. With 16 workers of one process on one lock and 1 ms timer holds: median hand-off
   * 0.23–0.28 → 0.17 ms, +4–7 % throughput; with pure-CPU holds about −9 % (docs/benchmarks.md).
   *
   * @example
   * await subscriptions.handOver(channel, [grant]); // the new holder has resumed
   */
  async handOver(channel: string, grants: readonly string[]): Promise<void> {
    let heard = false;
    for (const grant of grants) heard = this.deliver(channel, grant) || heard;
    if (heard) await nextCheckPhase();
  }

  private remove(channel: string, listener: ReleaseListener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0 || this.lingering.has(channel)) return;
    const timer = setTimeout(() => {
      this.lingering.delete(channel);
      if ((this.listeners.get(channel)?.size ?? 0) > 0) return;
      this.listeners.delete(channel);
      this.pending.delete(channel);
      this.active.delete(channel);
      this.subscriber?.unsubscribe(channel).catch(() => undefined);
    }, LINGER_MS);
    timer.unref();
    this.lingering.set(channel, timer);
  }

  private connection(): RedisLikeClient {
    if (!this.subscriber) {
      this.subscriber = this.createSubscriber();
      this.subscriber.on('error', () => undefined); // reconnects by itself; waiters fall back to their timers
      this.subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    }
    return this.subscriber;
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
    this.listeners.clear();
    this.pending.clear();
    this.active.clear();
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }
}
