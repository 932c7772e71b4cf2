import type { LockStore } from '../../store/lock-store.js';
import type { ProvisionalHandOff } from '../../store/release-event.js';
import type { DeadlockProbe } from './deadlock-probe.js';
import type { LockKind } from '../lock-kind.js';
import type { LockEvents } from '../lock-events.js';
import type { CallOptions } from '../resolve-call-options.js';

/** What one acquisition needs to know. */
export interface AcquireRequest {
  /** What is being acquired (events carry it). */
  kind: LockKind;
  store: LockStore;
  events: LockEvents;
  name: string;
  label: string;
  owner: string;
  call: CallOptions;
  /** Attempt once and return null when busy. */
  once: boolean;
  /** Shutdown state and the wake-up hooks it uses to cancel waiters. */
  lifecycle: { isShuttingDown(): boolean; waiters: Set<() => void> };
  /** Deadlock detection for a context that holds other locks while it waits (see deadlock-probe.ts). */
  deadlock?: DeadlockProbe;
  /**
   * Monotonic time (ms) the caller started, before anything was sent: the wait is measured from it,
   * and the first attempt's validity counts from it (an earlier start than its send time is safe).
   */
  started: number;
}

/**
 * A granted lock, with the monotonic time the successful command was sent (validity starts there).
 * Never one whose validity had already ended when the reply came (see `grantInTime`).
 */
export interface Granted {
  /** The fencing token when the acquire minted one (`fence: true`, a fair hand-off), else `undefined`. */
  fence: number | undefined;
  holdCount: number;
  sentAt: number;
  attempts: number;
  waitMs: number;
  /**
   * An in-process hand-off Redis has not answered yet (see `ProvisionalHandOff`): the holding is
   * valid no longer than `until` until `confirmed` resolves `true`; `false` means it is no lock.
   */
  provisional?: ProvisionalHandOff;
}
