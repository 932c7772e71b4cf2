import { EventEmitter } from 'node:events';
import type { LockErrorCode, LockLostReason } from '../errors/index.js';
import type { LockKind } from './lock-kind.js';

/**
 * Events `LockService.events` emits. Metrics, statistics and logs are fed from these; they never
 * sit in the locking path. `name` is the low-cardinality label (the `name` option, else the key);
 * `kind` says what was locked (`mutex`, `read`, `write`, `semaphore`).
 *
 * @example
 * locks.events.on('lost', (e) => alert(`lock ${e.key} lost: ${e.reason}`));
 */
export interface LockEventMap {
  /**
   * A lock (or a reentrant hold) was granted after `waitMs` and `attempts` tries. `ownership`
   * identifies the holding within this process (the same number on its `released` and `lost`
   * events); `fence` is its fencing token when already minted (see `LockHandle.getFence()`).
   */
  acquired: [
    {
      kind: LockKind;
      name: string;
      key: string;
      waitMs: number;
      attempts: number;
      reentrant: boolean;
      ownership: number;
      fence: number | undefined;
    },
  ];
  /**
   * A hold was released after `heldMs`. `expired` is true when Redis no longer had it; `reentrant`
   * marks the release of an inner (reentrant) hold; `ownership` identifies the holding.
   */
  released: [
    {
      kind: LockKind;
      name: string;
      key: string;
      heldMs: number;
      expired: boolean;
      reentrant: boolean;
      ownership: number;
      fence: number | undefined;
    },
  ];
  /** An acquire failed: busy (`timeout`), backend down, invalid input, deadlock, shutdown. */
  failed: [{ kind: LockKind; name: string; key: string; reason: LockErrorCode | 'aborted'; waitMs: number }];
  /**
   * The lock was busy; the caller waits `delayMs` (or less, on a release message) before retry `attempt`.
   * `queuePosition`: in the fair queue, the waiters ahead of the caller at its last attempt (0 = next in
   * line); absent when it does not queue (racing, `fair: false`) or the store does not say.
   */
  retry: [{ kind: LockKind; name: string; key: string; attempt: number; delayMs: number; queuePosition?: number }];
  /** The watchdog or `handle.renew()` extended a lock to `ttlMs`, `heldMs` after it was acquired. */
  renewed: [{ kind: LockKind; name: string; key: string; ttlMs: number; heldMs: number }];
  /** A renewal could not reach Redis (the lock may still be held). */
  renewalFailed: [{ kind: LockKind; name: string; key: string; message: string }];
  /** A held lock was lost (`refused`, `expired`, `max_hold_time`, `shutdown`). */
  lost: [
    { kind: LockKind; name: string; key: string; reason: LockLostReason; ownership: number; fence: number | undefined },
  ];
  /** A lock's TTL ran out while this process still believed it held it. */
  expired: [{ kind: LockKind; name: string; key: string }];
  /**
   * The circuit breaker changed state (`closed` → `open` after `failures` consecutive backend
   * failures; `open` → `half_open` while a probe runs; back to `closed` when Redis answers).
   */
  breaker: [{ state: 'closed' | 'open' | 'half_open'; previous: 'closed' | 'open' | 'half_open'; failures: number }];
  /** `@WithLock({ onLocked: 'skip' })` skipped a call because the lock was busy. */
  skipped: [{ kind: LockKind; name: string; key: string }];
}

/** Name of a {@link LockEventMap} event. */
export type LockEventName = keyof LockEventMap;

/** A typed `EventEmitter` for {@link LockEventMap}. */
export class LockEvents extends EventEmitter<LockEventMap> {}
