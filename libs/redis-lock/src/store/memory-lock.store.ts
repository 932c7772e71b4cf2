import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { nextFence } from './memory-fence.js';
import { MemoryPermits } from './memory-permits.js';
import type { PermitFamily, PermitSpec, PermitStore, StoredPermitInfo } from './permit-store.js';
import type {
  AcquireManyResult,
  AcquireResult,
  FairAcquireResult,
  LockStore,
  RenewRequest,
  StoredLockInfo,
  WaitsForEntry,
} from './lock-store.js';
import { RELEASED, type ReleaseEvent, type ReleaseListener } from './release-event.js';

/** One owner waiting in a fair queue. */
interface QueuedWaiter {
  owner: string;
  ttlMs: number;
  deadline: number;
}

interface Entry {
  /** Deadlock detection: what the owner waits for, until when (monotonic ms). */
  waits?: { name: string; until: number };
  owner: string;
  holds: number;
  /** Fencing token; `undefined` until minted (`mintFence`, `fence: true`, or a fair hand-off). */
  fence?: number;
  expiresAt: number;
}

/**
 * In-process {@link LockStore} with the same contract as the Redis store: TTLs, reentrant holds,
 * rising fencing tokens minted lazily, release notifications, and read-write locks and semaphores
 * ({@link PermitStore}, kept by `MemoryPermits`). For unit tests of apps (through
 * `LockTestingModule`) and for running the demo without Redis. It locks within one process only.
 *
 * @example
 * RedisLockModule.forRoot({ store: new MemoryLockStore() });
 */
export class MemoryLockStore implements LockStore, PermitStore {
  readonly kind = 'memory';
  private readonly locks = new Map<string, Entry>();
  private readonly fences = new Map<string, number>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  private readonly queues = new Map<string, QueuedWaiter[]>();
  private readonly permitEngine = new MemoryPermits();
  private closed = false;

  async init(): Promise<void> {
    this.closed = false;
  }

  private live(name: string): Entry | undefined {
    const entry = this.locks.get(name);
    if (entry && entry.expiresAt <= performance.now()) {
      this.locks.delete(name);
      return undefined;
    }
    return entry;
  }

  async claim(name: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.live(name)) return false;
    this.take(name, owner, ttlMs, false);
    return true;
  }

  async mintFence(name: string, owner: string): Promise<number | undefined> {
    const entry = this.live(name);
    if (!entry || entry.owner !== owner) return undefined;
    return (entry.fence ??= this.mint(name));
  }

  async acquire(name: string, owner: string, ttlMs: number, reentrant: boolean, fence = false): Promise<AcquireResult> {
    const entry = this.live(name);
    const now = performance.now();
    if (!entry) return { acquired: true, fence: this.take(name, owner, ttlMs, fence), holdCount: 1 };
    if (entry.owner === owner && reentrant) {
      if (fence) entry.fence ??= this.mint(name);
      entry.holds += 1;
      entry.expiresAt = Math.max(entry.expiresAt, now + ttlMs);
      return { acquired: true, fence: entry.fence, holdCount: entry.holds };
    }
    const holderWaitsFor = entry.waits && entry.waits.until > now ? entry.waits.name : null;
    return {
      acquired: false,
      holderTtlMs: Math.ceil(entry.expiresAt - now),
      heldBySelf: entry.owner === owner,
      holderWaitsFor,
    };
  }

  async acquireMany(names: readonly string[], owner: string, ttlMs: number): Promise<AcquireManyResult> {
    const busyIndex = names.findIndex((name) => this.live(name) !== undefined);
    if (busyIndex >= 0)
      return {
        acquired: false,
        busyIndex,
        holderTtlMs: Math.ceil(this.live(names[busyIndex])!.expiresAt - performance.now()),
      };
    return { acquired: true, fences: names.map((name) => this.take(name, owner, ttlMs, true)!) };
  }

  async setWaitsFor(held: readonly WaitsForEntry[], waitsFor: string | null, ttlMs: number): Promise<void> {
    for (const { name, owner } of held) {
      const entry = this.live(name);
      if (!entry || entry.owner !== owner) continue;
      entry.waits = waitsFor === null ? undefined : { name: waitsFor, until: performance.now() + ttlMs };
    }
  }

  async waitsFor(name: string): Promise<string | undefined> {
    const waits = this.live(name)?.waits;
    return waits && waits.until > performance.now() ? waits.name : undefined;
  }

  /** The next fencing token of `name` (as the scripts' `mint`): above every earlier one, seeded from the clock in µs. */
  private mint(name: string): number {
    return nextFence(this.fences, name);
  }

  /** Makes `owner` the holder, with a fresh token when `fence` (as the acquire script does). */
  private take(name: string, owner: string, ttlMs: number, fence: boolean): number | undefined {
    const token = fence ? this.mint(name) : undefined;
    this.locks.set(name, { owner, holds: 1, fence: token, expiresAt: performance.now() + ttlMs });
    return token;
  }

  /** The fair queue of `name` without waiters whose entry expired. */
  private queue(name: string): QueuedWaiter[] {
    const now = performance.now();
    const queue = (this.queues.get(name) ?? []).filter((w) => w.deadline > now);
    if (queue.length > 0) this.queues.set(name, queue);
    else this.queues.delete(name);
    return queue;
  }

  /** Hands a free lock to the first live waiter and publishes its grant; false when nobody waits. */
  private handOff(name: string): boolean {
    const head = this.queue(name).shift();
    if (!head) return false;
    this.queue(name);
    const fence = this.take(name, head.owner, head.ttlMs, true);
    const event: ReleaseEvent = { kind: 'handedOff', fence: fence!, isFor: (owner) => owner === head.owner };
    this.events.emit(name, event);
    return true;
  }

  private releaseFully(name: string): void {
    this.locks.delete(name);
    if (!this.handOff(name)) this.events.emit(name, RELEASED);
  }

  /** `_handOffUntil` is ignored: a hand-off here is already synchronous (no backend to wait for). */
  async release(name: string, owner: string, _handOffUntil?: number): Promise<number> {
    const entry = this.live(name);
    if (!entry || entry.owner !== owner) return -1;
    entry.holds -= 1;
    if (entry.holds > 0) return entry.holds;
    this.releaseFully(name);
    return 0;
  }

  async acquireFair(
    name: string,
    owner: string,
    ttlMs: number,
    queueTtlMs: number,
    enqueue: boolean,
    fence = false,
  ): Promise<FairAcquireResult> {
    let entry = this.live(name);
    if (entry?.owner === owner) return { acquired: true, fence: entry.fence, holdCount: entry.holds, handedOff: true };
    if (!entry) {
      const queue = this.queue(name);
      if (queue.length === 0 || queue[0].owner === owner) {
        this.queues.set(
          name,
          queue.filter((w) => w.owner !== owner),
        );
        this.queue(name);
        // Like the script: the free-lock path mints only when asked, a take from the queue always.
        return {
          acquired: true,
          fence: this.take(name, owner, ttlMs, fence || queue.length > 0),
          holdCount: 1,
          handedOff: false,
        };
      }
      this.handOff(name);
      entry = this.live(name);
    }
    const now = performance.now();
    const holderTtlMs = entry ? Math.ceil(entry.expiresAt - now) : -1;
    if (enqueue) {
      const queue = this.queue(name);
      const mine = queue.find((w) => w.owner === owner);
      if (mine) mine.deadline = now + queueTtlMs;
      else queue.push({ owner, ttlMs, deadline: now + queueTtlMs });
      this.queues.set(name, queue);
      return {
        acquired: false,
        holderTtlMs,
        heldBySelf: false,
        queuePosition: queue.findIndex((w) => w.owner === owner),
      };
    }
    return { acquired: false, holderTtlMs, heldBySelf: false };
  }

  async leaveFairQueue(name: string, owner: string): Promise<void> {
    if (this.live(name)?.owner === owner) {
      this.releaseFully(name);
      return;
    }
    this.queues.set(
      name,
      this.queue(name).filter((w) => w.owner !== owner),
    );
    this.queue(name);
  }

  watched(name: string): boolean {
    return this.events.listenerCount(name) > 0;
  }

  watchRelease(name: string, listener: ReleaseListener): () => void {
    this.events.on(name, listener);
    return () => this.events.off(name, listener);
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(name);
    if (!entry || entry.owner !== owner) return false;
    entry.expiresAt = performance.now() + ttlMs;
    return true;
  }

  renewMany(requests: readonly RenewRequest[]): Promise<boolean[]> {
    return Promise.all(
      requests.map((r) =>
        r.family ? this.renewPermits(r.name, r.family, r.owner, r.ttlMs) : this.renew(r.name, r.owner, r.ttlMs),
      ),
    );
  }

  async acquirePermits(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    reentrant: boolean,
  ): Promise<FairAcquireResult> {
    return this.permitEngine.acquire(name, owner, spec, ttlMs, queueTtlMs, queue, reentrant);
  }

  async releasePermits(name: string, family: PermitFamily, owner: string): Promise<number> {
    return this.permitEngine.release(name, family, owner);
  }

  async renewPermits(name: string, family: PermitFamily, owner: string, ttlMs: number): Promise<boolean> {
    return this.permitEngine.renew(name, family, owner, ttlMs);
  }

  async leavePermitQueue(name: string, family: PermitFamily, owner: string): Promise<void> {
    this.permitEngine.leave(name, family, owner);
  }

  async inspectPermits(name: string, family: PermitFamily): Promise<StoredPermitInfo> {
    return this.permitEngine.inspect(name, family);
  }

  async listPermits(prefix: string, limit: number): Promise<{ name: string; family: PermitFamily }[]> {
    return this.permitEngine.list(prefix, limit);
  }

  async forceReleasePermits(name: string, family: PermitFamily): Promise<boolean> {
    return this.permitEngine.forceRelease(name, family);
  }

  async onPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): Promise<() => void> {
    return this.permitEngine.watch(name, family, listener);
  }

  watchPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): () => void {
    return this.permitEngine.watch(name, family, listener);
  }

  async inspect(name: string): Promise<StoredLockInfo> {
    const entry = this.live(name);
    if (!entry) return { name, held: false, holdCount: 0, ttlMs: -2, waiters: 0 };
    return {
      name,
      held: true,
      owner: entry.owner,
      holdCount: entry.holds,
      ttlMs: Math.ceil(entry.expiresAt - performance.now()),
      ...(entry.fence !== undefined ? { fence: entry.fence } : {}),
      waiters: this.queue(name).length || this.events.listenerCount(name),
    };
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    return [...this.locks.keys()]
      .filter((name) => name.startsWith(prefix) && this.live(name))
      .sort()
      .slice(0, limit);
  }

  async forceRelease(name: string): Promise<boolean> {
    const existed = this.live(name) !== undefined;
    this.locks.delete(name);
    if (existed) this.events.emit(name, RELEASED);
    return existed;
  }

  async onRelease(name: string, listener: ReleaseListener): Promise<() => void> {
    this.events.on(name, listener);
    return () => this.events.off(name, listener);
  }

  async ping(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.removeAllListeners();
    this.permitEngine.close();
  }

  /** Whether {@link close} was called (for tests). */
  get isClosed(): boolean {
    return this.closed;
  }
}
