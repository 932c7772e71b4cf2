import { performance } from 'node:perf_hooks';
import type { Duration } from '../../config/duration.js';
import { parseDuration } from '../../config/duration.js';
import { MAX_DURATION_MS } from '../../config/limits.js';
import type { ResolvedLockConfig } from '../../config/resolved-config.js';
import {
  DeadlockError,
  InvalidLockOptionsError,
  LockError,
  LockNotHeldError,
  LockShutdownError,
  type LockLostReason,
} from '../../errors/index.js';
import type { LockStore } from '../../store/lock-store.js';
import { supportsPermits } from '../../store/permit-store.js';
import { assertLockName } from '../../store/lock-keys.js';
import { newOwnerToken, redactToken } from '../../store/owner-token.js';
import { acquireWithRetry } from '../acquire/racing.js';
import type { Granted } from '../acquire/types.js';
import { DeadlockProbe } from '../acquire/deadlock-probe.js';
import { lockContext } from '../lock-context.js';
import type { LockEvents } from '../lock-events.js';
import { LockHandle, type HandleController, type HandleState } from './lock-handle.js';
import type { LockLogger } from '../lock-logger.js';
import { RenewalScheduler } from './renewal-scheduler.js';
import type { LockOptions } from '../lock-options.js';
import { grantInTime, MIN_LOCK_TTL_MS, TTL_RANGE_PROBLEM, validUntil } from '../lock-validity.js';
import type { MultiLockHost } from '../multi-lock.js';
import { resolveCallOptions, type CallOptions } from '../resolve-call-options.js';
import type { ShutdownCoordinator } from '../shutdown.js';
import { LockTracer } from '../../tracing/lock-tracer.js';
import { supportsFairQueue } from '../acquire/fair.js';
import type { HeldPrimitive, LockKind } from '../lock-kind.js';
import { primitiveFor, type PrimitiveRequest } from '../primitives/primitive-request.js';

/**
 * The validity end a release passes to the store for an in-process hand-off (`LockStore.release`):
 * only a mutex's own holding (not a reentrant inner hold, not a permit) that was held to the release.
 */
const handOffUntil = (handle: LockHandle, wasHeld: boolean): number | undefined =>
  wasHeld && !handle.parent && !handle.state.primitive ? handle.state.expiresAt : undefined;

/** Ownership ids for events (see `LockEventMap.acquired`). */
let ownerships = 0;

/**
 * Everything that happens to a lock of one `LockService`: taken (`take`, through the acquire loop,
 * or `holdAgain` in a context that holds it; `multiLockHost` for several), run with (`runHeld`),
 * renewed (by the watchdog it owns, or `handle.renew()`), fenced (`handle.getFence()`), released, or
 * lost. Emits the lock events and calls the `onLockLost` callbacks. Async contexts are keyed by it.
 *
 * @example
 * const handles = new LockHandleController(store, config, events, logger, shutdown);
 * const handle = handles.grant('job', owner, granted, call, 'job');
 */
export class LockHandleController implements HandleController {
  /** The renewal watchdog of every held lock. */
  readonly scheduler: RenewalScheduler;
  /** OpenTelemetry spans, fed by `events` (off, at one check per acquisition, without a provider). */
  private readonly tracer: LockTracer;

  constructor(
    private readonly store: LockStore,
    private readonly config: ResolvedLockConfig,
    private readonly events: LockEvents,
    private readonly logger: LockLogger,
    private readonly shutdown: ShutdownCoordinator,
  ) {
    this.scheduler = new RenewalScheduler(
      store,
      {
        renewed: (h) =>
          this.events.emit('renewed', {
            kind: h.kind,
            name: h.state.label,
            key: h.getKey(),
            ttlMs: h.state.ttlMs,
            heldMs: performance.now() - h.state.acquiredAt,
          }),
        renewalFailed: (h, error) => {
          const message = error instanceof Error ? error.message : String(error);
          this.events.emit('renewalFailed', { kind: h.kind, name: h.state.label, key: h.getKey(), message });
          this.logger.warn(`Renewal of "${h.getKey()}" failed (will retry while the lock is valid): ${message}`);
        },
        lost: (h, reason) => this.lose(h, reason),
      },
      config.renewal.intervalMs,
    );
    // tracing: spans fed by this.events (tracing/lock-tracer.ts)
    this.tracer = new LockTracer(this.events, { fair: config.fair, fairQueue: supportsFairQueue(store) });
  }

  /** Permit views by request shape (see primitive-request.ts). */
  private readonly views = new Map<string, LockStore>();

  private multiHost?: MultiLockHost;
  /** What multi-lock.ts needs to take several locks. */
  get multiLockHost(): MultiLockHost {
    return (this.multiHost ??= {
      config: this.config,
      take: (key, options, defaults, once) => this.take(key, options, defaults, once),
      heldByContext: (name) => lockContext.held(this, name) !== undefined,
      runHeld: (handles, fn) => this.runHeld(handles, fn),
      tryAtomic: async (names, options, defaults) => {
        if (!this.store.acquireMany) return undefined;
        const call = resolveCallOptions(this.config, options, defaults);
        if (this.shutdown.shuttingDown) throw new LockShutdownError(names[0]);
        const owner = newOwnerToken(this.config.instanceId, this.store.ownerTag);
        const sentAt = performance.now();
        const result = await this.store.acquireMany(names, owner, call.ttlMs);
        if (!result) return undefined;
        if (!result.acquired) return { busy: names[result.busyIndex] };
        // Granted too late (validity already over): given back, and busy for the caller, who waits and retries.
        if (!grantInTime(this.store, names, owner, call.ttlMs, sentAt)) return { busy: names[0] };
        const waitMs = performance.now() - sentAt;
        return names.map((name, i) =>
          this.grant(
            name,
            owner,
            { fence: result.fences[i], holdCount: 1, sentAt, attempts: 1, waitMs },
            call,
            call.label ?? name,
          ),
        );
      },
    });
  }

  /** Runs `fn` with `handles` held by the current context, releases them (reverse order), tracked for graceful shutdown. */
  runHeld<T>(handles: LockHandle[], fn: () => Promise<T> | T): Promise<T> {
    const work = (async () => {
      try {
        // tracing: fn runs inside the hold span
        return await lockContext.run(this, handles, this.tracer.inHold(handles, fn));
      } finally {
        for (const handle of [...handles].reverse()) {
          await handle
            .release()
            .catch((error: Error) =>
              this.logger.warn(`Release of "${handle.getKey()}" failed; it expires by its TTL: ${error.message}`),
            );
        }
      }
    })();
    return this.shutdown.track(work);
  }

  /**
   * Takes `key` (validated, options resolved): a reentrant hold when the current context holds it,
   * else through the acquire loop; `null` only for a single attempt (`once`) that found it busy.
   * Emits `failed` on any error. Traced (an acquire span in the caller's context) when a tracer
   * provider is registered.
   */
  take(
    key: string,
    options: LockOptions | undefined,
    defaults: { reentrant: boolean; renew: boolean },
    once: boolean,
    primitive?: PrimitiveRequest,
  ): Promise<LockHandle | null> {
    // `mode` asks for the read-write lock (any other value is refused by resolveCallOptions, as a mutex).
    const mode = options?.mode;
    const request = primitive ?? (mode === 'read' || mode === 'write' ? { kind: mode } : undefined);
    // tracing: one check when off; else the acquire span, in the caller's context, wraps takeLock
    if (!this.tracer.enabled()) return this.takeLock(key, options, defaults, once, request);
    const take = () => this.takeLock(key, options, defaults, once, request);
    return this.tracer.traceAcquire(key, options, once, take, request?.kind ?? 'mutex');
  }

  /** The store a holding's calls go through: the store itself for a mutex, its permit view otherwise. */
  storeOf(handle: LockHandle): LockStore {
    return handle.state.primitive?.store ?? this.store;
  }

  private async takeLock(
    key: string,
    options: LockOptions | undefined,
    defaults: { reentrant: boolean; renew: boolean },
    once: boolean,
    request?: PrimitiveRequest,
  ): Promise<LockHandle | null> {
    const started = performance.now();
    let label = typeof options?.name === 'string' ? options.name : typeof key === 'string' ? key : '(invalid)';
    try {
      const name = assertLockName(key);
      const resolved = resolveCallOptions(this.config, options, defaults);
      label = resolved.label ?? name;
      const primitive = request && primitiveFor(this.store, name, request, this.views);
      // Permits always queue fairly and always carry their token (the Lua grants mint it).
      const call = primitive ? { ...resolved, fair: true, fence: true } : resolved;
      if (this.shutdown.shuttingDown) throw new LockShutdownError(name);
      const contextKey = primitive ? primitive.contextKey : name;
      const parent = contextKey === undefined ? undefined : lockContext.held(this, contextKey);
      if (parent) {
        if (once && !call.reentrant) return null; // held by this very context: busy, and tryLock never waits
        return await this.holdAgain(parent, call, label, primitive?.kind);
      }
      const owner = newOwnerToken(this.config.instanceId, this.store.ownerTag);
      const deadlock =
        once || primitive
          ? undefined
          : DeadlockProbe.create(this.store, name, lockContext.heldAll(this), call.retry.maxMs);
      const granted = await acquireWithRetry({
        kind: primitive?.kind ?? 'mutex',
        store: primitive?.store ?? this.store,
        events: this.events,
        name,
        label,
        owner,
        call,
        once,
        lifecycle: this.shutdown.lifecycle,
        deadlock,
        started,
      });
      if (!granted) return null;
      return this.grant(name, owner, granted, call, label, primitive);
    } catch (error) {
      const reason = error instanceof LockError ? error.code : 'aborted';
      this.events.emit('failed', {
        kind: request?.kind ?? 'mutex',
        name: label,
        key: typeof key === 'string' ? key : String(key),
        reason,
        waitMs: performance.now() - started,
      });
      throw error;
    }
  }

  /** A new holding of `name` by `owner`: its handle, watched by the watchdog; emits `acquired`. */
  grant(
    name: string,
    owner: string,
    granted: Granted,
    call: CallOptions,
    label: string,
    primitive?: HeldPrimitive,
  ): LockHandle {
    const provisional = granted.provisional;
    const state: HandleState = {
      primitive,
      ttlMs: call.ttlMs,
      // An in-process hand-off lasts no longer than the releaser's holding until Redis confirms it.
      expiresAt: Math.min(validUntil(granted.sentAt, call.ttlMs), provisional?.until ?? Infinity),
      renewAt: granted.sentAt + call.ttlMs * call.renewalThreshold,
      acquiredAt: granted.sentAt,
      autoRenew: call.renew,
      renewalThreshold: call.renewalThreshold,
      maxHoldMs: call.maxHoldMs,
      label,
      ownership: ++ownerships,
      status: 'held',
    };
    const handle = new LockHandle(name, owner, granted.fence, granted.holdCount, state, this);
    if (call.onLockLost) {
      const callback = call.onLockLost;
      handle.signal.addEventListener('abort', () => this.safely(() => callback(handle.signal.reason)), { once: true });
    }
    this.scheduler.add(handle);
    if (provisional) {
      state.handOff = provisional.confirmed.then((fence) => {
        this.confirmHandOff(handle, granted.sentAt, fence);
        return fence;
      });
    }
    this.events.emit('acquired', {
      kind: primitive?.kind ?? 'mutex',
      name: label,
      key: name,
      waitMs: granted.waitMs,
      attempts: granted.attempts,
      reentrant: false,
      ownership: state.ownership,
      fence: granted.fence,
    });
    if (this.logger.debugEnabled) {
      this.logger.debug(
        `acquired "${name}" fence=${granted.fence ?? '-'} owner=${redactToken(owner)} after ${granted.waitMs.toFixed(1)} ms, ${granted.attempts} attempt(s)`,
      );
    }
    return handle;
  }

  /**
   * Redis's answer to an in-process hand-off (see `ProvisionalHandOff`): the holding gets the token
   * the hand-over minted and its full validity (counted from its last busy answer, as for any
   * hand-off), or, when Redis did not make it the owner (`undefined`), is lost ('refused'). Nothing
   * changes for a holding already released or lost.
   */
  private confirmHandOff(handle: LockHandle, sentAt: number, fence: number | undefined): void {
    const s = handle.state;
    s.handOff = undefined;
    if (fence !== undefined) handle.setFence(fence);
    if (s.status !== 'held') return;
    if (fence === undefined) {
      this.lose(handle, 'refused');
      return;
    }
    s.expiresAt = validUntil(sentAt, s.ttlMs);
    if (this.scheduler.has(handle)) this.scheduler.add(handle);
  }

  /** A reentrant hold of a lock the current context already holds. */
  async holdAgain(parent: LockHandle, call: CallOptions, label: string, kind?: LockKind): Promise<LockHandle> {
    const name = parent.getKey();
    const root = parent.parent ?? parent;
    if (!root.isHeld()) throw root.signal.reason ?? new LockNotHeldError(name, 'the enclosing lock is no longer held');
    if (kind === 'write' && root.kind === 'read') {
      throw new DeadlockError(
        [name],
        'the current async context holds only the read lock, and asking for the write lock would wait for itself (upgrading is not supported: release the read lock first, or take the write lock from the start)',
      );
    }
    if (!call.reentrant) {
      throw new DeadlockError(
        [name],
        'the current async context already holds this lock and the call is not reentrant (use withLock or lockReentrant)',
      );
    }
    const sentAt = performance.now();
    const mint = call.fence && root.fence === undefined;
    const result = await this.storeOf(root).acquire(name, root.getValue(), call.ttlMs, true, mint);
    if (!result.acquired) {
      this.lose(root, 'refused');
      throw root.signal.reason;
    }
    root.state.expiresAt = Math.max(root.state.expiresAt, validUntil(sentAt, call.ttlMs));
    const state: HandleState = { ...root.state, expiresAt: Infinity, autoRenew: false, label, status: 'held' };
    const handle = new LockHandle(name, root.getValue(), result.fence, result.holdCount, state, this, root);
    this.events.emit('acquired', {
      kind: root.kind,
      name: label,
      key: name,
      waitMs: performance.now() - sentAt,
      attempts: 1,
      reentrant: true,
      ownership: state.ownership,
      fence: handle.fence,
    });
    return handle;
  }

  /** Marks a holding lost (aborts its signal, once), stops renewing it, reports it. */
  lose(handle: LockHandle, reason: LockLostReason): void {
    const error = handle.markLost(reason);
    this.scheduler.remove(handle);
    if (!error) return;
    const label = handle.state.label;
    const ownership = handle.state.ownership;
    const kind = handle.kind;
    this.events.emit('lost', { kind, name: label, key: handle.getKey(), reason, ownership, fence: handle.fence });
    if (reason === 'expired' || reason === 'max_hold_time')
      this.events.emit('expired', { kind, name: label, key: handle.getKey() });
    if (reason !== 'shutdown') this.logger.warn(error.message);
    const callback = this.config.onLockLost;
    if (callback) this.safely(() => callback(error));
  }

  /** Runs a user callback; its errors (sync or async) are logged, never thrown into the event loop. */
  private safely(fn: () => unknown): void {
    try {
      const result = fn();
      if (result && typeof (result as Promise<unknown>).catch === 'function') {
        (result as Promise<unknown>).catch((e: Error) =>
          this.logger.error(`onLockLost callback failed: ${e?.message ?? e}`),
        );
      }
    } catch (e) {
      this.logger.error(`onLockLost callback failed: ${(e as Error)?.message ?? e}`);
    }
  }

  /** @internal HandleController */
  async renewHandle(handle: LockHandle, ttl?: Duration): Promise<void> {
    let ttlMs = handle.state.ttlMs;
    if (ttl !== undefined) {
      const parsed = parseDuration(ttl);
      if (parsed === undefined || parsed < MIN_LOCK_TTL_MS || parsed > MAX_DURATION_MS) {
        throw new InvalidLockOptionsError([{ path: 'ttl', problem: TTL_RANGE_PROBLEM }]);
      }
      ttlMs = parsed;
    }
    const sentAt = performance.now();
    const ok = await this.storeOf(handle).renew(handle.getKey(), handle.getValue(), ttlMs);
    if (!ok) {
      this.lose(handle, 'refused');
      throw handle.signal.reason;
    }
    const s = handle.state;
    // Lost (the validity ended while the renewal was out) or released meanwhile: a late answer revives nothing.
    if (s.status !== 'held') throw handle.signal.reason ?? new LockNotHeldError(handle.getKey());
    s.ttlMs = ttlMs;
    s.expiresAt = validUntil(sentAt, ttlMs);
    s.renewAt = sentAt + ttlMs * s.renewalThreshold;
    if (this.scheduler.has(handle)) this.scheduler.add(handle);
    this.events.emit('renewed', {
      kind: handle.kind,
      name: s.label,
      key: handle.getKey(),
      ttlMs,
      heldMs: performance.now() - s.acquiredAt,
    });
  }

  /** @internal HandleController */
  async releaseHandle(handle: LockHandle): Promise<boolean> {
    const s = handle.state;
    const atShutdown = this.shutdown.releasedAtShutdown(handle.parent ?? handle);
    if (atShutdown || this.shutdown.closed) {
      // The shutdown took this lock (and aborted its signal), or the store is closed: nothing to send.
      // Resolves false (the lock was not held to the end), so a `finally` never hides the section's error.
      this.scheduler.remove(handle);
      if (await (atShutdown ?? Promise.resolve(s.status !== 'held'))) return false;
      const detail = 'could not be released at shutdown (Redis did not answer); it expires by its TTL';
      throw new LockShutdownError(handle.getKey(), detail);
    }
    const wasHeld = s.status === 'held';
    if (wasHeld) s.status = 'released';
    this.scheduler.remove(handle);
    // lockAtLeastFor (@WithLock): a run that ends early leaves the lock in Redis until keepUntil (owner-checked PEXPIRE).
    const keepMs =
      wasHeld && !handle.parent && s.keepUntil !== undefined ? Math.ceil(s.keepUntil - performance.now()) : 0;
    const remaining =
      keepMs > 0
        ? (await this.storeOf(handle).renew(handle.getKey(), handle.getValue(), keepMs))
          ? 0
          : -1
        : await this.storeOf(handle).release(handle.getKey(), handle.getValue(), handOffUntil(handle, wasHeld));
    const expired = remaining < 0;
    if (expired && wasHeld && !handle.parent) {
      // Redis no longer had it: the lock was lost while the critical section ran (e.g. the process was
      // paused past the TTL and resumed before the watchdog noticed). Say so now, late but never not.
      s.status = 'held';
      this.lose(handle, 'expired');
    }
    const heldMs = performance.now() - s.acquiredAt;
    this.events.emit('released', {
      kind: handle.kind,
      name: s.label,
      key: handle.getKey(),
      heldMs,
      expired,
      reentrant: handle.parent !== undefined,
      ownership: s.ownership,
      fence: handle.fence,
    });
    if (this.logger.debugEnabled) {
      this.logger.debug(
        `released "${handle.getKey()}" fence=${handle.fence ?? '-'} after ${heldMs.toFixed(1)} ms held (holds left: ${remaining < 0 ? 'none, it had expired' : remaining})`,
      );
    }
    return !expired;
  }

  /** @internal HandleController: the first `getFence()` of a root handle without a token. */
  async mintFence(handle: LockHandle): Promise<number> {
    // An in-process hand-off mints the token in Redis; its answer is on the way: no round trip of its own.
    const handedOver = handle.state.handOff && (await handle.state.handOff);
    if (handedOver) return handedOver;
    if (handle.state.status === 'lost') throw handle.signal.reason;
    const fence = await this.storeOf(handle).mintFence(handle.getKey(), handle.getValue(), handle.state.ttlMs);
    if (fence === undefined) {
      // Redis no longer has the lock for this owner: it was lost, and a stale holder gets no token.
      this.lose(handle, 'refused');
      throw handle.signal.reason ?? new LockNotHeldError(handle.getKey());
    }
    handle.setFence(fence);
    return fence;
  }

  /** @internal HandleController */
  async remainingTtl(handle: LockHandle): Promise<number> {
    const family = handle.state.primitive?.spec.family;
    if (family && supportsPermits(this.store)) {
      const info = await this.store.inspectPermits(handle.getKey(), family);
      return Math.max(0, info.holders.find((h) => h.owner === handle.getValue())?.ttlMs ?? 0);
    }
    const info = await this.store.inspect(handle.getKey());
    return info.held && info.owner === handle.getValue() ? Math.max(0, info.ttlMs) : 0;
  }
}
