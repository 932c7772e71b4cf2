import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { FairAcquireResult } from './lock-store.js';
import { nextFence } from './memory-fence.js';
import type { PermitFamily, PermitSpec, StoredPermitInfo } from './permit-store.js';
import { RELEASED, type ReleaseEvent, type ReleaseListener } from './release-event.js';

/** One holding: `count` permits, `holds` reentrant holds, until `expiresAt` (monotonic ms). */
interface Holder {
  count: number;
  holds: number;
  fence: number;
  expiresAt: number;
}

/** One queued request, as its last attempt described it; dead once `deadline` (monotonic ms) passed. */
interface Waiter {
  owner: string;
  count: number;
  ttlMs: number;
  fence: PermitSpec['fence'];
  deadline: number;
}

/** Everything of one name+family (the Redis store's holders, info, queue and waiters keys). */
interface PermitState {
  name: string;
  family: PermitFamily;
  limit: number;
  used: number;
  holders: Map<string, Holder>;
  /** Arrival order; a refresh keeps the position. */
  queue: Waiter[];
}

/**
 * The read-write locks and semaphores of `MemoryLockStore`: the `PermitStore` algorithm of the Redis
 * store's permit scripts (one FIFO head-of-line queue per name+family, holders that expire with their
 * TTL and are dropped by every operation, grants published as `handedOff` release events) on
 * in-process maps, with a monotonic clock (`performance.now()`). Events are emitted after an operation's state
 * change is complete, so a listener that calls back into the store sees consistent state.
 *
 * @example
 * const permits = new MemoryPermits();
 * permits.acquire('report', 'me:1', { family: 'rw', count: 1, limit: RW_PERMITS, fence: 'share' }, 30_000, 2000, true, false);
 */
export class MemoryPermits {
  private readonly states = new Map<string, PermitState>();
  private readonly fences = new Map<string, number>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  private pending: [string, ReleaseEvent][] = [];

  /** See `PermitStore.acquirePermits`. */
  acquire(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    enqueue: boolean,
    reentrant: boolean,
  ): FairAcquireResult {
    return this.emitting(() => {
      const now = performance.now();
      const state = this.open(name, spec.family, now) ?? this.create(name, spec.family);
      state.limit = spec.limit; // the last request's limit wins
      const held = state.holders.get(owner);
      this.grantHeads(state, now, owner); // a higher limit may admit waiters (never `owner`'s own grant event)
      if (held && reentrant) {
        held.holds += 1;
        held.expiresAt = Math.max(held.expiresAt, now + ttlMs);
        return { acquired: true, fence: held.fence, holdCount: held.holds, handedOff: false };
      }
      if (held) return { acquired: true, fence: held.fence, holdCount: held.holds, handedOff: true };
      const granted = state.holders.get(owner);
      if (granted) return { acquired: true, fence: granted.fence, holdCount: 1, handedOff: false };
      const ahead = state.queue[0];
      if ((!ahead || ahead.owner === owner) && state.used + spec.count <= state.limit) {
        state.queue = state.queue.filter((w) => w.owner !== owner);
        const fence = this.take(state, owner, spec.count, ttlMs, spec.fence, now);
        return { acquired: true, fence, holdCount: 1, handedOff: false };
      }
      if (enqueue) {
        const waiter = { owner, count: spec.count, ttlMs, fence: spec.fence, deadline: now + queueTtlMs };
        const index = state.queue.findIndex((w) => w.owner === owner);
        if (index >= 0) state.queue[index] = waiter;
        else state.queue.push(waiter);
      }
      this.tidy(state);
      return { acquired: false, holderTtlMs: this.firstExpiry(state, now), heldBySelf: false };
    });
  }

  /** See `PermitStore.releasePermits`. */
  release(name: string, family: PermitFamily, owner: string): number {
    return this.emitting(() => {
      const now = performance.now();
      const state = this.open(name, family, now);
      return state ? this.releaseIn(state, owner, now) : -1;
    });
  }

  /** See `PermitStore.renewPermits`. */
  renew(name: string, family: PermitFamily, owner: string, ttlMs: number): boolean {
    const now = performance.now();
    const holder = this.open(name, family, now)?.holders.get(owner);
    if (!holder) return false;
    holder.expiresAt = now + ttlMs;
    return true;
  }

  /** See `PermitStore.leavePermitQueue`. */
  leave(name: string, family: PermitFamily, owner: string): void {
    this.emitting(() => {
      const now = performance.now();
      const state = this.open(name, family, now);
      if (!state) return;
      if (state.holders.has(owner)) {
        this.releaseIn(state, owner, now); // a release granted it while it gave up: pass the grant on
        return;
      }
      state.queue = state.queue.filter((w) => w.owner !== owner);
      this.grantHeads(state, now); // its leaving may unblock the next head
      this.tidy(state);
    });
  }

  /** See `PermitStore.inspectPermits`. */
  inspect(name: string, family: PermitFamily): StoredPermitInfo {
    const now = performance.now();
    const state = this.open(name, family, now);
    if (!state) return { name, family, limit: 0, used: 0, holders: [], waiters: 0 };
    return {
      name,
      family,
      limit: state.limit,
      used: state.used,
      holders: [...state.holders].map(([owner, h]) => ({
        owner,
        count: h.count,
        holds: h.holds,
        ttlMs: Math.ceil(h.expiresAt - now),
        fence: h.fence,
      })),
      waiters: state.queue.length,
    };
  }

  /** See `PermitStore.listPermits`: sorted by name, then family. */
  list(prefix: string, limit: number): { name: string; family: PermitFamily }[] {
    const now = performance.now();
    return [...this.states.values()]
      .filter((s) => s.name.startsWith(prefix) && this.open(s.name, s.family, now))
      .map(({ name, family }) => ({ name, family }))
      .sort((a, b) => (a.name === b.name ? a.family.localeCompare(b.family) : a.name < b.name ? -1 : 1))
      .slice(0, limit);
  }

  /** See `PermitStore.forceReleasePermits`. */
  forceRelease(name: string, family: PermitFamily): boolean {
    return this.emitting(() => {
      const state = this.open(name, family, performance.now());
      if (!state) return false;
      this.states.delete(keyOf(name, family));
      this.pending.push([keyOf(name, family), RELEASED]);
      return true;
    });
  }

  /** See `PermitStore.watchPermitRelease` (always subscribed in process). */
  watch(name: string, family: PermitFamily, listener: ReleaseListener): () => void {
    const key = keyOf(name, family);
    this.events.on(key, listener);
    return () => this.events.off(key, listener);
  }

  /** Drops every listener (the store's `close`). */
  close(): void {
    this.events.removeAllListeners();
  }

  /** Runs `op`, then emits the events it queued (so listeners never see a half-done change). */
  private emitting<T>(op: () => T): T {
    try {
      return op();
    } finally {
      const events = this.pending;
      this.pending = [];
      for (const [key, event] of events) this.events.emit(key, event);
    }
  }

  private create(name: string, family: PermitFamily): PermitState {
    const state: PermitState = { name, family, limit: 0, used: 0, holders: new Map(), queue: [] };
    this.states.set(keyOf(name, family), state);
    return state;
  }

  /** The state of a name with expired holders and dead waiters dropped; `undefined` (and forgotten) when none is left. */
  private open(name: string, family: PermitFamily, now: number): PermitState | undefined {
    const state = this.states.get(keyOf(name, family));
    if (!state) return undefined;
    for (const [owner, holder] of state.holders) {
      if (holder.expiresAt > now) continue;
      state.holders.delete(owner);
      state.used -= holder.count;
    }
    state.queue = state.queue.filter((w) => w.deadline > now);
    return this.tidy(state);
  }

  /** Forgets a state without holders and waiters (as its Redis keys would expire). */
  private tidy(state: PermitState): PermitState | undefined {
    if (state.holders.size > 0 || state.queue.length > 0) return state;
    this.states.delete(keyOf(state.name, state.family));
    return undefined;
  }

  private releaseIn(state: PermitState, owner: string, now: number): number {
    const holder = state.holders.get(owner);
    if (!holder) return -1;
    if (holder.holds > 1) return --holder.holds;
    state.holders.delete(owner);
    state.used -= holder.count;
    // Nobody was granted: tell listeners the permits are free (waiters that only try, a forced retry).
    if (!this.grantHeads(state, now)) this.pending.push([keyOf(state.name, state.family), RELEASED]);
    this.tidy(state);
    return 0;
  }

  /**
   * Grants the queue's heads in order while they fit and publishes each grant (except one to `self`,
   * the caller of the attempt, which learns it from the answer). Whether anyone was granted.
   */
  private grantHeads(state: PermitState, now: number, self?: string): boolean {
    let granted = false;
    for (let head = state.queue[0]; head && state.used + head.count <= state.limit; head = state.queue[0]) {
      state.queue.shift();
      const fence = this.take(state, head.owner, head.count, head.ttlMs, head.fence, now);
      granted = true;
      if (head.owner === self) continue;
      const owner = head.owner;
      this.pending.push([
        keyOf(state.name, state.family),
        { kind: 'handedOff', fence, isFor: (candidate) => candidate === owner },
      ]);
    }
    return granted;
  }

  /** Makes `owner` a holder of `count` permits with one hold; its token minted or shared per `fence`. */
  private take(
    state: PermitState,
    owner: string,
    count: number,
    ttlMs: number,
    fence: PermitSpec['fence'],
    now: number,
  ): number {
    const key = keyOf(state.name, state.family);
    const token =
      fence === 'share' ? (this.fences.get(key) ?? nextFence(this.fences, key)) : nextFence(this.fences, key);
    state.holders.set(owner, { count, holds: 1, fence: token, expiresAt: now + ttlMs });
    state.used += count;
    return token;
  }

  /** Ms until the first live holder's permits expire, -1 without holders. */
  private firstExpiry(state: PermitState, now: number): number {
    let first = Infinity;
    for (const holder of state.holders.values()) first = Math.min(first, holder.expiresAt);
    return first === Infinity ? -1 : Math.ceil(first - now);
  }
}

/** State, fence counter and event key of a name+family (the family has no space, so keys never collide). */
const keyOf = (name: string, family: PermitFamily): string => `${family} ${name}`;
