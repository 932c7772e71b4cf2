/**
 * Names of the spans, span events and attributes `LockService` records when OpenTelemetry tracing
 * is on, in the semantic-convention style (dotted, lower case). docs/observability.md#tracing has
 * the table. Lock names appear only as the low-cardinality label (the `name` option, else the key
 * the caller passed); never the Redis key, never the owner token.
 *
 * @example
 * span.attributes[LOCK_SPAN_ATTRIBUTES.outcome]; // 'acquired'
 */
export const LOCK_SPAN_ATTRIBUTES = {
  name: 'redis_lock.name',
  mode: 'redis_lock.mode',
  kind: 'redis_lock.kind',
  outcome: 'redis_lock.outcome',
  attempts: 'redis_lock.attempts',
  waitMs: 'redis_lock.wait_ms',
  fence: 'redis_lock.fence',
  reentrant: 'redis_lock.reentrant',
  attempt: 'redis_lock.attempt',
  delayMs: 'redis_lock.delay_ms',
  queuePosition: 'redis_lock.queue_position',
  lostReason: 'redis_lock.lost.reason',
  errorMessage: 'redis_lock.error.message',
} as const;

/**
 * Span and span-event names (see {@link LOCK_SPAN_ATTRIBUTES}).
 *
 * @example
 * exporter.getFinishedSpans().filter((s) => s.name === LOCK_SPAN_NAMES.hold);
 */
export const LOCK_SPAN_NAMES = {
  acquire: 'redis_lock.acquire',
  hold: 'redis_lock.hold',
  retry: 'redis_lock.retry',
  renewalFailed: 'redis_lock.renewal_failed',
  lost: 'redis_lock.lost',
  skipped: 'redis_lock.skipped',
} as const;

/**
 * The instrumentation scope spans are recorded under.
 *
 * @example
 * span.instrumentationScope.name === LOCK_TRACER_NAME; // '@lynx-nest/redis-lock'
 */
export const LOCK_TRACER_NAME = '@lynx-nest/redis-lock';

/**
 * `redis_lock.outcome` of a failed acquisition, from the `failed` event's reason (a `LockErrorCode` or `aborted`).
 *
 * @example
 * failureOutcome('backend'); // 'backend_error'
 */
export function failureOutcome(reason: string): string {
  return reason === 'backend' ? 'backend_error' : reason;
}
