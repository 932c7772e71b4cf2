import { performance } from 'node:perf_hooks';
import type { ReleaseEvent } from './release-event.js';

/** Most owners {@link LocalSuccessors} remembers as gone from a queue. */
const GONE_MAX = 4096;

/** One waiter of this store in a lock's fair queue, as its last queued attempt reported it. */
interface QueuedWaiter {
  /** Its place in the queue (the entry's score: arrival order). */
  seq: number;
  /** Every entry ahead of it was a waiter of this store when that attempt ran. */
  localAhead: boolean;
  /** When that attempt was sent (monotonic ms): the entry lives `queueTtlMs` from about then. */
  sentAt: number;
  queueTtlMs: number;
  /** The TTL it asked for (what a hand-off gives it). */
  ttlMs: number;
  /** It wants its token minted with the grant (`fence: true`): only Redis's answer can carry it. */
  fence: boolean;
}

/**
 * The waiters of one store in the fair queues of its locks, so that a release by this store can tell
 * whether the queue's head is its own waiter without asking Redis (docs/fair-locking.md, "In-process
 * hand-off"). A waiter is the head when every entry that was ahead of it when it queued was this
 * store's too (Redis said so), and none of those is still queued here: entries only ever join at the
 * tail, and this store sees its own leave (granted, gave up). Anything unknown, a foreign waiter
 * ahead, or an entry whose queue lifetime may have run out, makes it "not known", and the release goes
 * through Redis as usual. Keyed by the lock's release channel (where grants arrive).
 *
 * @example
 * const successors = new LocalSuccessors();
 * successors.queued(channel, owner, { seq: 7, localAhead: true, sentAt, queueTtlMs: 2000, ttlMs, fence: false });
 * const next = successors.takeHead(channel); // { owner, ttlMs } or undefined
 */
export class LocalSuccessors {
  private readonly byChannel = new Map<string, Map<string, QueuedWaiter>>();
  /**
   * Owners that left a queue (an owner token names one acquisition). An attempt that was on its way
   * when its waiter was handed the lock answers "queued" after the fact; it must not put it back.
   * Bounded: when full it is cleared, and such a late answer then only costs one in-process hand-off
   * (the stale entry names a waiter that no longer listens, so the release goes through Redis).
   */
  private readonly gone = new Set<string>();

  /** Records (or refreshes) a queued waiter from the answer of its attempt. */
  queued(channel: string, owner: string, waiter: QueuedWaiter): void {
    if (this.gone.has(owner)) return;
    let waiters = this.byChannel.get(channel);
    if (!waiters) this.byChannel.set(channel, (waiters = new Map()));
    waiters.set(owner, waiter);
  }

  /** The waiter is no longer queued (it holds the lock, or gave up). */
  left(channel: string, owner: string): void {
    const waiters = this.byChannel.get(channel);
    if (!waiters?.delete(owner)) return;
    if (this.gone.size >= GONE_MAX) this.gone.clear();
    this.gone.add(owner);
    if (waiters.size === 0) this.byChannel.delete(channel);
  }

  /** A hand-off grant seen on the channel (a release's answer, or pub/sub): its waiter left the queue. */
  granted(channel: string, event: ReleaseEvent): void {
    if (event.kind !== 'handedOff') return;
    const waiters = this.byChannel.get(channel);
    if (!waiters) return;
    for (const owner of waiters.keys()) if (event.isFor(owner)) this.left(channel, owner);
  }

  /** Whether this store has a waiter queued anywhere (one check on every release, before any key is built). */
  any(): boolean {
    return this.byChannel.size > 0;
  }

  /** Whether this store has a waiter queued on the channel. */
  has(channel: string): boolean {
    return this.byChannel.has(channel);
  }

  /**
   * This store's waiter that heads the queue, if that is known for sure: removed and returned (the
   * caller hands it the lock), else `undefined`. Known means: the earliest of this store's waiters,
   * all entries ahead of it were this store's, it does not want its token in the grant, and its queue
   * entry has at least half of its lifetime left (a waiter refreshes it every quarter).
   */
  takeHead(channel: string): { owner: string; ttlMs: number } | undefined {
    const waiters = this.byChannel.get(channel);
    if (!waiters) return undefined;
    let head: [string, QueuedWaiter] | undefined;
    for (const entry of waiters) if (!head || entry[1].seq < head[1].seq) head = entry;
    const [owner, waiter] = head!;
    if (!waiter.localAhead || waiter.fence) return undefined;
    if (performance.now() - waiter.sentAt > waiter.queueTtlMs / 2) return undefined;
    this.left(channel, owner);
    return { owner, ttlMs: waiter.ttlMs };
  }

  /** Forgets everything (the store closes). */
  clear(): void {
    this.byChannel.clear();
    this.gone.clear();
  }
}
