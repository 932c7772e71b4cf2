import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { AcquireResult, LockStore, RenewRequest, StoredLockInfo } from './lock-store.js';

interface Entry {
  owner: string;
  holds: number;
  fence: number;
  expiresAt: number;
}

/**
 * In-process {@link LockStore} with the same contract as the Redis store: TTLs, reentrant holds,
 * rising fencing tokens, release notifications. For unit tests of apps (through
 * `LockTestingModule`) and for running the demo without Redis. It locks within one process only.
 *
 * @example
 * RedisLockModule.forRoot({ store: new MemoryLockStore() });
 */
export class MemoryLockStore implements LockStore {
  readonly kind = 'memory';
  private readonly locks = new Map<string, Entry>();
  private readonly fences = new Map<string, number>();
  private readonly events = new EventEmitter().setMaxListeners(0);
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

  async acquire(name: string, owner: string, ttlMs: number, reentrant: boolean): Promise<AcquireResult> {
    const entry = this.live(name);
    const now = performance.now();
    if (!entry) {
      const fence = Math.max((this.fences.get(name) ?? 0) + 1, Math.floor((performance.timeOrigin + now) * 1000));
      this.fences.set(name, fence);
      this.locks.set(name, { owner, holds: 1, fence, expiresAt: now + ttlMs });
      return { acquired: true, fence, holdCount: 1 };
    }
    if (entry.owner === owner && reentrant) {
      entry.holds += 1;
      entry.expiresAt = Math.max(entry.expiresAt, now + ttlMs);
      return { acquired: true, fence: entry.fence, holdCount: entry.holds };
    }
    return { acquired: false, holderTtlMs: Math.ceil(entry.expiresAt - now), heldBySelf: entry.owner === owner };
  }

  async release(name: string, owner: string): Promise<number> {
    const entry = this.live(name);
    if (!entry || entry.owner !== owner) return -1;
    entry.holds -= 1;
    if (entry.holds > 0) return entry.holds;
    this.locks.delete(name);
    this.events.emit(name);
    return 0;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const entry = this.live(name);
    if (!entry || entry.owner !== owner) return false;
    entry.expiresAt = performance.now() + ttlMs;
    return true;
  }

  renewMany(requests: readonly RenewRequest[]): Promise<boolean[]> {
    return Promise.all(requests.map((r) => this.renew(r.name, r.owner, r.ttlMs)));
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
      fence: entry.fence,
      waiters: this.events.listenerCount(name),
    };
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    return [...this.locks.keys()].filter((name) => name.startsWith(prefix) && this.live(name)).sort().slice(0, limit);
  }

  async forceRelease(name: string): Promise<boolean> {
    const existed = this.live(name) !== undefined;
    this.locks.delete(name);
    if (existed) this.events.emit(name);
    return existed;
  }

  async onRelease(name: string, listener: () => void): Promise<() => void> {
    this.events.on(name, listener);
    return () => this.events.off(name, listener);
  }

  async ping(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.removeAllListeners();
  }

  /** Whether {@link close} was called (for tests). */
  get isClosed(): boolean {
    return this.closed;
  }
}
