import type { Attributes, Context, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { LockEventMap, LockEvents } from '../lock/lock-events.js';
import type { LockHandle } from '../lock/handles/lock-handle.js';
import type { LockOptions } from '../lock/lock-options.js';
import {
  failureOutcome,
  LOCK_SPAN_ATTRIBUTES as A,
  LOCK_SPAN_NAMES as N,
  LOCK_TRACER_NAME,
} from './lock-span.attributes.js';
import { otelApi, type OtelApi } from './otel-api.loader.js';
import type { LockKind } from '../lock/lock-kind.js';

/** One acquisition being traced; found by the event listeners in the active context. */
interface AcquireRecord {
  readonly span: Span;
  outcome?: string;
  /** The caller's place in the fair queue at its first queued attempt (waiters ahead). */
  queuedAt?: number;
}

/** One hold being traced (the outermost hold of an ownership; reentrant holds have no span of their own). */
interface HoldRecord {
  readonly span: Span;
  readonly handle: LockHandle;
}

/** Runs span bookkeeping; an exception from a tracing SDK must never reach the locking path. */
function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // a broken exporter or SDK loses a span, never a lock
  }
}

/** The no-op provider a `ProxyTracerProvider` delegates to while no SDK is registered, per API copy. */
const noopProviders = new WeakMap<OtelApi, TracerProvider>();

/**
 * OpenTelemetry spans for one `LockService` (see docs/observability.md#tracing):
 * - `redis_lock.acquire`: started in the caller's context around each acquisition; the service's
 *   `retry`, `acquired` and `failed` events, emitted inside it, add its attributes and events.
 * - `redis_lock.hold`: from the grant to the `released` event (or to the loss of the lock, with
 *   status error), with an event per `renewalFailed`; `withLock` callbacks run inside it.
 * - `skipped` (`@WithLock({ onLocked: 'skip' })`): an event on the caller's active span.
 *
 * Off (one check per acquisition, no listener but a `skipped` one) until `@opentelemetry/api` is installed and a
 * tracer provider is registered. Internal: `LockService` owns one.
 *
 * @example
 * const tracer = new LockTracer(service.events, { fair: config.fair, fairQueue: supportsFairQueue(store) });
 * if (tracer.enabled()) handle = await tracer.traceAcquire(key, options, false, () => take());
 */
export class LockTracer {
  private listening = false;
  private acquireKey?: symbol;
  private readonly holds = new WeakMap<LockHandle, HoldRecord>();
  /** Holds in flight per lock name, oldest first: how the `released` and `renewalFailed` events find theirs. */
  private readonly holdsByKey = new Map<string, HoldRecord[]>();

  constructor(
    private readonly events: LockEvents,
    /** `fair`: default of `LockOptions.fair`; `fairQueue`: the store has a fair queue (else fair calls race). */
    private readonly modes: { readonly fair: boolean; readonly fairQueue: boolean },
  ) {
    // A skip need not follow a traced acquisition (a multi-key try takes no span), and is rare: listen now.
    events.on('skipped', (e) =>
      quietly(() => {
        const span = this.enabled() ? otelApi()!.trace.getActiveSpan() : undefined;
        span?.addEvent(N.skipped, { [A.name]: e.name, [A.outcome]: 'skip' });
      }),
    );
  }

  /** Whether spans are recorded now: `@opentelemetry/api` is loaded and a tracer provider is registered. */
  enabled(): boolean {
    const api = otelApi();
    if (api === undefined) return false;
    const provider = api.trace.getTracerProvider();
    if (!(provider instanceof api.ProxyTracerProvider)) return true;
    let noop = noopProviders.get(api);
    if (noop === undefined) noopProviders.set(api, (noop = new api.ProxyTracerProvider().getDelegate()));
    return provider.getDelegate() !== noop;
  }

  /**
   * Runs `take` (one acquisition) inside a `redis_lock.acquire` span, a child of the caller's
   * active span, and starts the `redis_lock.hold` span of the handle it returns. Call only when
   * {@link enabled}.
   */
  traceAcquire(
    key: unknown,
    options: LockOptions | undefined,
    once: boolean,
    take: () => Promise<LockHandle | null>,
    kind: LockKind = 'mutex',
  ): Promise<LockHandle | null> {
    const api = otelApi()!;
    let parent: Context, name: string, span: Span, record: AcquireRecord, inside: Context;
    try {
      this.listen(api);
      parent = api.context.active();
      name = typeof options?.name === 'string' ? options.name : typeof key === 'string' ? key : '(invalid)';
      // Read-write locks and semaphores always wait in their queue.
      const fair = kind !== 'mutex' || (this.modes.fairQueue && (options?.fair ?? this.modes.fair) === true);
      const mode = once ? 'try' : fair ? 'fair' : 'racing';
      const attributes = { [A.name]: name, [A.mode]: mode, [A.kind]: kind };
      span = this.tracer(api).startSpan(N.acquire, { kind: api.SpanKind.INTERNAL, attributes }, parent);
      record = { span };
      inside = api.trace.setSpan(parent, span).setValue(this.acquireKey!, record);
    } catch {
      return take(); // the SDK failed: lock without a span
    }
    return api.context.with(inside, take).then(
      (handle) => {
        quietly(() => {
          span.setAttribute(A.outcome, handle ? 'acquired' : 'busy');
          span.end();
          if (handle && !handle.parent) this.startHold(api, handle, name, parent);
        });
        return handle;
      },
      (error: unknown) => {
        quietly(() => {
          const outcome = record.outcome ?? 'aborted';
          span.setAttribute(A.outcome, outcome);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
          span.end();
        });
        throw error;
      },
    );
  }

  /**
   * `fn`, to run with the first traced hold of `handles` as the active span (so the callback's own
   * spans are its children); `fn` itself when none is traced. Keys that `withLocks` took together
   * in one script (not through {@link traceAcquire}) get their acquire and hold spans here.
   */
  inHold<T>(handles: readonly LockHandle[], fn: () => T): () => T {
    // One key came through traceAcquire (or tracing is off); only several can have skipped it.
    if (!this.listening && (handles.length < 2 || !this.enabled())) return fn;
    const api = otelApi()!;
    let hold: HoldRecord | undefined;
    quietly(() => {
      this.listen(api);
      for (const handle of handles) {
        if (!handle.parent && !this.holds.has(handle) && handle.isHeld()) this.traceTakenTogether(api, handle);
        hold ??= this.holds.get(handle);
      }
    });
    const span = hold?.span;
    return span ? () => api.context.with(api.trace.setSpan(api.context.active(), span), fn) : fn;
  }

  /** Spans for a key taken by the atomic multi-key script: one attempt, from its send time to now. */
  private traceTakenTogether(api: OtelApi, handle: LockHandle): void {
    const parent = api.context.active();
    const name = handle.state.label;
    const waitMs = performance.now() - handle.state.acquiredAt;
    const attributes: Attributes = { [A.name]: name, [A.mode]: 'multi', [A.outcome]: 'acquired', [A.attempts]: 1 };
    attributes[A.waitMs] = waitMs;
    const startTime = performance.timeOrigin + handle.state.acquiredAt;
    const options = { kind: api.SpanKind.INTERNAL, attributes, startTime };
    const acquire = this.tracer(api).startSpan(N.acquire, options, parent);
    if (handle.fence !== undefined && handle.fence > 0) acquire.setAttribute(A.fence, handle.fence);
    acquire.end();
    this.startHold(api, handle, name, parent);
  }

  private tracer(api: OtelApi): Tracer {
    return api.trace.getTracer(LOCK_TRACER_NAME);
  }

  private startHold(api: OtelApi, handle: LockHandle, name: string, parent: Context): void {
    const fence = handle.fence;
    const attributes = fence !== undefined && fence > 0 ? { [A.name]: name, [A.fence]: fence } : { [A.name]: name };
    const span = this.tracer(api).startSpan(N.hold, { kind: api.SpanKind.INTERNAL, attributes }, parent);
    const hold: HoldRecord = { span, handle };
    this.holds.set(handle, hold);
    const key = handle.getKey();
    const list = (this.holdsByKey.get(key) ?? []).filter((other) => !this.endedUnconfirmed(other));
    list.push(hold);
    this.holdsByKey.set(key, list);
    const onLost = () => quietly(() => this.lost(api, hold));
    if (handle.signal.aborted) onLost();
    else handle.signal.addEventListener('abort', onLost, { once: true });
  }

  /** A hold whose release never reported back (it failed: the lock ends by its TTL) is closed once that TTL is over. */
  private endedUnconfirmed(hold: HoldRecord): boolean {
    const state = hold.handle.state;
    if (state.status !== 'released' || performance.now() < state.expiresAt) return false;
    this.end(hold);
    return true;
  }

  private lost(api: OtelApi, hold: HoldRecord): void {
    const reason = (hold.handle.signal.reason as { reason?: string } | undefined)?.reason ?? 'unknown';
    hold.span.addEvent(N.lost, { [A.lostReason]: reason });
    hold.span.setStatus({ code: api.SpanStatusCode.ERROR, message: `lost: ${reason}` });
    this.end(hold);
  }

  private end(hold: HoldRecord): void {
    const fence = hold.handle.fence; // minted by getFence() during the hold, or in the acquire
    if (fence !== undefined && fence > 0) hold.span.setAttribute(A.fence, fence);
    hold.span.end();
    this.holds.delete(hold.handle);
    const list = this.holdsByKey.get(hold.handle.getKey());
    const at = list?.indexOf(hold) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    if (list?.length === 0) this.holdsByKey.delete(hold.handle.getKey());
  }

  /** The acquisition traced in the active context (the service emits its acquire events there). */
  private acquiring(api: OtelApi): AcquireRecord | undefined {
    return api.context.active().getValue(this.acquireKey!) as AcquireRecord | undefined;
  }

  /** Subscribes to the service's events on the first traced acquisition (never while tracing is off). */
  private listen(api: OtelApi): void {
    if (this.listening) return;
    this.listening = true;
    this.acquireKey = api.createContextKey(`${LOCK_TRACER_NAME} acquire`);
    const on = <K extends keyof LockEventMap>(event: K, listener: (...args: LockEventMap[K]) => void) =>
      this.events.on(event, ((...args: LockEventMap[K]) => quietly(() => listener(...args))) as never);
    on('retry', (e) => {
      const acquire = this.acquiring(api);
      if (!acquire) return;
      const position = e.queuePosition === undefined ? {} : { [A.queuePosition]: e.queuePosition };
      acquire.span.addEvent(N.retry, { [A.attempt]: e.attempt, [A.delayMs]: e.delayMs, ...position });
      // The place on entry: the first queued attempt's.
      if (e.queuePosition !== undefined && acquire.queuedAt === undefined) {
        acquire.queuedAt = e.queuePosition;
        acquire.span.setAttribute(A.queuePosition, e.queuePosition);
      }
    });
    on('acquired', (e) => {
      const span = this.acquiring(api)?.span;
      if (!span) return;
      span.setAttributes({ [A.name]: e.name, [A.attempts]: e.attempts, [A.waitMs]: e.waitMs });
      if (e.fence !== undefined && e.fence > 0) span.setAttribute(A.fence, e.fence);
      if (e.reentrant) span.setAttribute(A.reentrant, true);
    });
    on('failed', (e) => {
      const acquire = this.acquiring(api);
      if (!acquire) return;
      acquire.outcome = failureOutcome(e.reason);
      acquire.span.setAttributes({ [A.name]: e.name, [A.waitMs]: e.waitMs });
    });
    on('renewalFailed', (e) => {
      for (const hold of this.holdsByKey.get(e.key) ?? []) {
        if (hold.handle.state.status === 'held') hold.span.addEvent(N.renewalFailed, { [A.errorMessage]: e.message });
      }
    });
    on('released', (e) => {
      if (e.reentrant) return;
      // The hold being released has status 'released'; a lost one already ended. Two at once (a
      // release still in flight when this process took the lock again) are told apart by ownership,
      // else the older one answers first (same connection, replies in order).
      const candidates = (this.holdsByKey.get(e.key) ?? []).filter((hold) => hold.handle.state.status === 'released');
      const hold = candidates.find((c) => c.handle.state.ownership === e.ownership) ?? candidates[0];
      if (hold) this.end(hold);
    });
  }
}
