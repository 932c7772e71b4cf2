import { performance } from 'node:perf_hooks';
import { LockBackendError } from '../errors/index.js';
import type {
  AcquireManyResult,
  AcquireResult,
  FairAcquireResult,
  LockStore,
  RenewRequest,
  StoreDiagnosis,
  StoredLockInfo,
  WaitsForEntry,
} from './lock-store.js';
import {
  supportsPermits,
  type PermitFamily,
  type PermitSpec,
  type PermitStore,
  type StoredPermitInfo,
} from './permit-store.js';
import type { ReleaseListener } from './release-event.js';

/**
 * State of a {@link CircuitBreakerStore}: `closed` (calls pass), `open` (acquisitions fail at once),
 * `half_open` (one probe is in flight; acquisitions still fail at once until it answers).
 *
 * @default 'closed'
 * @example
 * if ((await locks.checkHealth()).circuitBreaker === 'open') res.status(503);
 */
export type CircuitBreakerState = 'closed' | 'open' | 'half_open';

/**
 * A state change of the breaker, as `LockService.events` emits it (`breaker` event).
 *
 * @example
 * locks.events.on('breaker', (c: CircuitBreakerChange) => logger.warn(`lock backend breaker ${c.previous} -> ${c.state}`));
 */
export interface CircuitBreakerChange {
  /** The new state. */
  state: CircuitBreakerState;
  /** The state before. */
  previous: CircuitBreakerState;
  /** Consecutive backend failures counted when the change happened. */
  failures: number;
}

/**
 * Settings of {@link CircuitBreakerStore} (from `lock.circuitBreaker`, durations in ms).
 *
 * @example
 * const settings: CircuitBreakerSettings = { failureThreshold: 5, resetTimeoutMs: 1000 };
 */
export interface CircuitBreakerSettings {
  /** Consecutive backend failures (`LockBackendError`) that open the breaker. @default 5 */
  failureThreshold: number;
  /** How long the breaker stays open before a probe (`PING`) may close it; also the probe period. @default 1000 */
  resetTimeoutMs: number;
}

/**
 * A snapshot of the breaker for health and statistics.
 *
 * @example
 * const { state, timesOpened, rejected } = circuitBreakerOf(store)!.status();
 */
export interface CircuitBreakerStatus {
  state: CircuitBreakerState;
  /** Consecutive backend failures so far (0 after any success). */
  consecutiveFailures: number;
  /** How many times the breaker opened since start-up. */
  timesOpened: number;
  /** Acquisitions refused at once because the breaker was open. */
  rejected: number;
}

/**
 * A {@link LockStore} decorator that stops hammering a backend that is down. After
 * `failureThreshold` consecutive backend failures (any operation) it **opens**: `acquire` then
 * rejects at once with {@link LockBackendError} (operation `acquire`, message "circuit breaker
 * open") instead of each caller waiting for its command timeout. While open, a probe (`PING` on the
 * wrapped store) runs every `resetTimeoutMs` (state `half_open` while it is in flight); the first
 * answer closes the breaker, so it recovers by itself. Any other successful call (a renewal, a
 * release, a health check) closes it too.
 *
 * Only `LockBackendError`s count: a `LockKeyTypeError` (a key of another Redis type at one lock's
 * key) is that lock's problem, so a foreign key never opens the breaker for every other lock.
 *
 * Only new acquisitions (`acquire`, `acquireFair`, `acquirePermits`) are short-circuited. Renewals, releases, inspection, `forceRelease`,
 * pub/sub and `ping` always go through, so locks already held keep renewing while the breaker is
 * open and release as usual.
 *
 * @example
 * const store = new CircuitBreakerStore(new RedisLockStore({ client }), { failureThreshold: 5, resetTimeoutMs: 1000 });
 * store.onStateChange((c) => console.log(`breaker ${c.previous} -> ${c.state}`));
 */
export class CircuitBreakerStore implements LockStore, PermitStore {
  private current: CircuitBreakerState = 'closed';
  private failures = 0;
  private timesOpened = 0;
  private rejected = 0;
  private openedAt = 0;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;
  private closedForGood = false;
  private readonly listeners = new Set<(change: CircuitBreakerChange) => void>();

  /**
   * @param inner the store whose failures are counted (normally a `RedisLockStore`)
   * @param settings threshold and reset timeout
   */
  constructor(
    readonly inner: LockStore,
    private readonly settings: CircuitBreakerSettings,
  ) {}

  /** The wrapped store's kind (`redis`, `redlock`, ...): the breaker is transparent in health output. */
  get kind(): string {
    return this.inner.kind;
  }

  /** The wrapped store's owner-token tag (see `LockStore.ownerTag`). */
  get ownerTag(): string | undefined {
    return this.inner.ownerTag;
  }

  /** The current state. */
  get state(): CircuitBreakerState {
    return this.current;
  }

  /** State and counters, for health and statistics. */
  status(): CircuitBreakerStatus {
    return {
      state: this.current,
      consecutiveFailures: this.failures,
      timesOpened: this.timesOpened,
      rejected: this.rejected,
    };
  }

  /** Calls `listener` on every state change; returns a function that unsubscribes. */
  onStateChange(listener: (change: CircuitBreakerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private transition(state: CircuitBreakerState): void {
    if (state === this.current) return;
    const previous = this.current;
    this.current = state;
    const change = { state, previous, failures: this.failures };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's error must never break the lock path
      }
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.current !== 'closed') {
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.transition('closed');
    }
  }

  private failed(error: unknown): void {
    if (!(error instanceof LockBackendError)) return;
    this.failures++;
    if (this.current === 'closed' && this.failures >= this.settings.failureThreshold) this.open();
  }

  private open(): void {
    this.openedAt = performance.now();
    this.timesOpened++;
    this.transition('open');
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closedForGood || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.settings.resetTimeoutMs);
    this.probeTimer.unref();
  }

  /** One half-open probe: PING the wrapped store; an answer closes the breaker, a failure keeps it open. */
  private async probe(): Promise<void> {
    if (this.current === 'closed' || this.probing || this.closedForGood) return;
    this.probing = true;
    this.transition('half_open');
    try {
      await this.inner.ping();
      this.succeeded();
    } catch {
      if (this.notClosed()) {
        this.openedAt = performance.now();
        this.transition('open');
      }
    } finally {
      this.probing = false;
      if (this.notClosed()) this.scheduleProbe();
    }
  }

  /** Whether the breaker is open or half-open (a method, so TypeScript does not narrow across awaits). */
  private notClosed(): boolean {
    return this.current !== 'closed';
  }

  /** Runs a pass-through call and counts its outcome. */
  private async track<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.succeeded();
      return result;
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  init(): Promise<void> {
    this.closedForGood = false;
    return this.track(() => this.inner.init());
  }

  acquire(name: string, owner: string, ttlMs: number, reentrant: boolean, fence = false): Promise<AcquireResult> {
    return this.gate(name, () => this.inner.acquire(name, owner, ttlMs, reentrant, fence));
  }

  /** The inner store's fast path, gated like `acquire`; `false` (take the scripted path) when it has none. */
  claim(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const inner = this.inner;
    if (typeof inner.claim !== 'function') return Promise.resolve(false);
    return this.gate(name, () => inner.claim!(name, owner, ttlMs));
  }

  mintFence(name: string, owner: string, ttlMs: number): Promise<number | undefined> {
    return this.track(() => this.inner.mintFence(name, owner, ttlMs));
  }

  /**
   * What an acquire passes through: closed, the call itself; open past its reset timeout with no probe
   * running, this call as the probe; otherwise an immediate {@link LockBackendError}.
   */
  private gate<T>(name: string, call: () => Promise<T>): Promise<T> {
    if (this.current !== 'closed') {
      // Open past its reset timeout and no probe running (the timer may be late): let this call probe.
      if (
        this.current === 'open' &&
        !this.probing &&
        performance.now() - this.openedAt >= this.settings.resetTimeoutMs
      ) {
        this.probing = true;
        this.transition('half_open');
        return this.track(call).finally(() => {
          this.probing = false;
          if (this.current !== 'closed') {
            this.openedAt = performance.now();
            this.transition('open');
            this.scheduleProbe();
          }
        });
      }
      this.rejected++;
      return Promise.reject(
        new LockBackendError(
          'acquire',
          `circuit breaker open after ${this.settings.failureThreshold} consecutive backend failures; retrying the backend every ${this.settings.resetTimeoutMs} ms`,
          name,
        ),
      );
    }
    return this.track(call);
  }

  release(name: string, owner: string, handOffUntil?: number): Promise<number> {
    return this.track(() => this.inner.release(name, owner, handOffUntil));
  }

  renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.track(() => this.inner.renew(name, owner, ttlMs));
  }

  renewMany(requests: readonly RenewRequest[]): Promise<boolean[]> {
    if (requests.length === 0) return this.inner.renewMany(requests);
    return this.track(() => this.inner.renewMany(requests));
  }

  inspect(name: string): Promise<StoredLockInfo> {
    return this.track(() => this.inner.inspect(name));
  }

  list(prefix: string, limit: number): Promise<string[]> {
    return this.track(() => this.inner.list(prefix, limit));
  }

  forceRelease(name: string): Promise<boolean> {
    return this.track(() => this.inner.forceRelease(name));
  }

  onRelease(name: string, listener: ReleaseListener): Promise<() => void> {
    return this.inner.onRelease(name, listener);
  }

  /** Multi-key locks: `undefined` (keys are then taken one by one through `acquire`) unless closed and supported. */
  acquireMany(names: readonly string[], owner: string, ttlMs: number): Promise<AcquireManyResult | undefined> {
    if (this.notClosed() || !this.inner.acquireMany) return Promise.resolve(undefined);
    return this.track(() => this.inner.acquireMany!(names, owner, ttlMs));
  }

  /** Deadlock detection: passed through (a no-op when the wrapped store has no wait records). */
  setWaitsFor(held: readonly WaitsForEntry[], waitsFor: string | null, ttlMs: number): Promise<void> {
    if (!this.inner.setWaitsFor) return Promise.resolve();
    return this.track(() => this.inner.setWaitsFor!(held, waitsFor, ttlMs));
  }

  /** Deadlock detection: passed through. */
  waitsFor(name: string): Promise<string | undefined> {
    if (!this.inner.waitsFor) return Promise.resolve(undefined);
    return this.track(() => this.inner.waitsFor!(name));
  }

  /** Whether the inner store has the fair queue (wrappers forward it; `supportsFairQueue` reads this). */
  get fairQueue(): boolean {
    return typeof this.inner.acquireFair === 'function';
  }

  /** Fair-queue attempt (see `LockStore.acquireFair`); while the breaker is not closed, or the inner store has no queue, a plain attempt. */
  async acquireFair(
    name: string,
    owner: string,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    fence = false,
  ): Promise<FairAcquireResult> {
    const inner = this.inner;
    if (this.notClosed() || typeof inner.acquireFair !== 'function') {
      const result = await this.acquire(name, owner, ttlMs, false, fence);
      return result.acquired ? { ...result, handedOff: false } : result;
    }
    return this.track(() => inner.acquireFair!(name, owner, ttlMs, queueTtlMs, queue, fence));
  }

  /**
   * Whether the inner store has read-write locks and semaphores (`supportsPermits` reads this: the
   * breaker always has the methods). `false` for Redlock.
   */
  get permits(): boolean {
    return supportsPermits(this.inner);
  }

  /** The inner store's permit methods; rejects when it has none (callers check `supportsPermits` first). */
  private permitStore(): Promise<PermitStore> {
    const inner = this.inner;
    if (supportsPermits(inner)) return Promise.resolve(inner);
    return Promise.reject(new Error(`the ${inner.kind} lock store has no read-write locks or semaphores`));
  }

  /** A permit request, gated like `acquire` (no fallback: while the breaker is not closed it fails at once). */
  acquirePermits(
    name: string,
    owner: string,
    spec: PermitSpec,
    ttlMs: number,
    queueTtlMs: number,
    queue: boolean,
    reentrant: boolean,
  ): Promise<FairAcquireResult> {
    return this.permitStore().then((inner) =>
      this.gate(name, () => inner.acquirePermits(name, owner, spec, ttlMs, queueTtlMs, queue, reentrant)),
    );
  }

  releasePermits(name: string, family: PermitFamily, owner: string): Promise<number> {
    return this.permitStore().then((inner) => this.track(() => inner.releasePermits(name, family, owner)));
  }

  renewPermits(name: string, family: PermitFamily, owner: string, ttlMs: number): Promise<boolean> {
    return this.permitStore().then((inner) => this.track(() => inner.renewPermits(name, family, owner, ttlMs)));
  }

  /** Passed through, not counted (as `leaveFairQueue`). */
  leavePermitQueue(name: string, family: PermitFamily, owner: string): Promise<void> {
    return this.permitStore().then((inner) => inner.leavePermitQueue(name, family, owner));
  }

  inspectPermits(name: string, family: PermitFamily): Promise<StoredPermitInfo> {
    return this.permitStore().then((inner) => this.track(() => inner.inspectPermits(name, family)));
  }

  listPermits(prefix: string, limit: number): Promise<{ name: string; family: PermitFamily }[]> {
    return this.permitStore().then((inner) => this.track(() => inner.listPermits(prefix, limit)));
  }

  forceReleasePermits(name: string, family: PermitFamily): Promise<boolean> {
    return this.permitStore().then((inner) => this.track(() => inner.forceReleasePermits(name, family)));
  }

  onPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): Promise<() => void> {
    return this.permitStore().then((inner) => inner.onPermitRelease(name, family, listener));
  }

  watchPermitRelease(name: string, family: PermitFamily, listener: ReleaseListener): (() => void) | undefined {
    return this.inner.watchPermitRelease?.(name, family, listener);
  }

  leaveFairQueue(name: string, owner: string): Promise<void> {
    return this.inner.leaveFairQueue?.(name, owner) ?? Promise.resolve();
  }

  watched(name: string): boolean {
    return this.inner.watched?.(name) ?? false;
  }

  /** Health details of the wrapped store, passed through (not counted by the breaker). */
  diagnose(scope: 'connection' | 'full'): Promise<StoreDiagnosis> {
    return this.inner.diagnose?.(scope) ?? Promise.resolve({});
  }

  watchRelease(name: string, listener: ReleaseListener): (() => void) | undefined {
    return this.inner.watchRelease?.(name, listener);
  }

  ping(): Promise<number> {
    return this.track(() => this.inner.ping());
  }

  async close(): Promise<void> {
    this.closedForGood = true;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    await this.inner.close();
  }
}

/**
 * The store under any {@link CircuitBreakerStore} wrapper (health checks use it to reach
 * store-specific details such as the Lua script cache).
 *
 * @example
 * const redisStore = unwrapStore(moduleRef.get(LOCK_STORE));
 */
export function unwrapStore(store: LockStore): LockStore {
  let s = store;
  while (s instanceof CircuitBreakerStore) s = s.inner;
  return s;
}

/**
 * The breaker of `store`, or `undefined` when it has none.
 *
 * @example
 * circuitBreakerOf(moduleRef.get(LOCK_STORE))?.state; // 'closed'
 */
export function circuitBreakerOf(store: LockStore): CircuitBreakerStore | undefined {
  return store instanceof CircuitBreakerStore ? store : undefined;
}
