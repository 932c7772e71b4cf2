import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Inject, Optional } from '@nestjs/common';
import { DeadlockError } from '../errors/deadlock.error.js';
import type { LockErrorCode } from '../errors/lock.error.js';
import { InvalidLockKeyError } from '../errors/invalid-lock-key.error.js';
import { LockAcquireTimeoutError } from '../errors/lock-acquire-timeout.error.js';
import { LockBackendError } from '../errors/lock-backend.error.js';
import { LockShutdownError } from '../errors/lock-shutdown.error.js';

/**
 * Injection token of the {@link LockExceptionFilterOptions} of a filter Nest creates (`APP_FILTER`
 * with `useClass`). Optional: without it the defaults apply.
 *
 * @example
 * providers: [
 *   { provide: APP_FILTER, useClass: LockExceptionFilter },
 *   { provide: LOCK_EXCEPTION_FILTER_OPTIONS, useValue: { retryAfterSeconds: 5 } },
 * ]
 */
export const LOCK_EXCEPTION_FILTER_OPTIONS = Symbol.for('@lynx-nest/redis-lock:exception-filter-options');

/**
 * Options of {@link LockExceptionFilter}.
 *
 * @example
 * app.useGlobalFilters(new LockExceptionFilter({ retryAfterSeconds: 5 }));
 */
export interface LockExceptionFilterOptions {
  /**
   * Seconds in the `Retry-After` header of the 503 answers (Redis down, circuit breaker open,
   * shutting down).
   *
   * @default 1
   */
  retryAfterSeconds?: number;
}

/**
 * The JSON body of an answer of {@link LockExceptionFilter}.
 *
 * @example
 * const body: LockErrorResponseBody = {
 *   statusCode: 409,
 *   error: 'Conflict',
 *   code: 'timeout',
 *   message: 'Could not get lock "order:42": another operation holds it. Try again later.',
 *   lock: 'order:42',
 * };
 */
export interface LockErrorResponseBody {
  /** The HTTP status code (409, 429, 503 or 400). */
  statusCode: number;
  /** The HTTP reason phrase (`Conflict`, `Service Unavailable`, `Bad Request`), as Nest's own errors have it. */
  error: string;
  /** The error's {@link LockErrorCode}: `timeout`, `deadlock`, `backend`, `shutdown` or `invalid_key`. */
  code: LockErrorCode;
  /** What went wrong, for the client: no Redis address, key, prefix or owner token. */
  message: string;
  /** The lock name the failure concerns, when there is one (the name the app chose, never the Redis key). */
  lock?: string;
}

type MappedLockError =
  LockAcquireTimeoutError | DeadlockError | LockBackendError | LockShutdownError | InvalidLockKeyError;

/** The parts of an Express response or a Fastify reply the filter uses (both have them). */
interface HttpReply {
  status(code: number): HttpReply;
  header(name: string, value: string): HttpReply;
  send(body: unknown): unknown;
}

/** Status, reason phrase and client message of each mapped error. */
function answer(error: MappedLockError): { status: number; error: string; message: string } {
  const lock = error.key === undefined ? 'the lock' : `lock "${error.key}"`;
  const conflict = (message: string) => ({ status: HttpStatus.CONFLICT, error: 'Conflict', message });
  if (error instanceof LockAcquireTimeoutError && error.kind === 'semaphore') {
    const message = `Could not get a permit of "${error.key}": all of them are in use. Try again later.`;
    return { status: HttpStatus.TOO_MANY_REQUESTS, error: 'Too Many Requests', message };
  }
  if (error instanceof LockAcquireTimeoutError) {
    return conflict(`Could not get ${lock}: another operation holds it. Try again later.`);
  }
  if (error instanceof DeadlockError) return conflict(`Could not get ${lock}: waiting for it would deadlock.`);
  if (error instanceof InvalidLockKeyError) {
    return { status: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: error.message };
  }
  const message =
    error instanceof LockShutdownError
      ? 'The server is shutting down and takes no new locks. Try again later.'
      : 'The lock service is unavailable. Try again later.';
  return { status: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', message };
}

/**
 * Answers the lock errors an HTTP request can run into, instead of Nest's bare
 * `500 Internal server error`:
 * - `LockAcquireTimeoutError` (busy) and `DeadlockError` → **409 Conflict**; a semaphore with no
 *   free permit (`LockAcquireTimeoutError` of kind `semaphore`) → **429 Too Many Requests**;
 * - `LockBackendError` (Redis down, circuit breaker open) and `LockShutdownError` → **503 Service
 *   Unavailable** with a `Retry-After` header;
 * - `InvalidLockKeyError` (a lock name built from bad request input) → **400 Bad Request**.
 *
 * The JSON body ({@link LockErrorResponseBody}) has `statusCode`, `error`, `code`, `message` and the
 * lock name; never the Redis key, the key prefix, a Redis address or an owner token. It catches
 * only these classes, so every other error (other lock errors included, such as `LockLostError`)
 * goes to Nest's default handling untouched. HTTP only (Express; a Fastify reply has the same
 * `status`, `header` and `send`).
 *
 * @example
 * // main.ts: one line
 * app.useGlobalFilters(new LockExceptionFilter());
 *
 * @example
 * // or as a provider of the app module (Nest creates it; options through LOCK_EXCEPTION_FILTER_OPTIONS)
 * providers: [{ provide: APP_FILTER, useClass: LockExceptionFilter }]
 */
@Catch(LockAcquireTimeoutError, DeadlockError, LockBackendError, LockShutdownError, InvalidLockKeyError)
export class LockExceptionFilter implements ExceptionFilter<MappedLockError> {
  private readonly retryAfter: string;

  /** @param options see {@link LockExceptionFilterOptions} @default {} */
  constructor(@Optional() @Inject(LOCK_EXCEPTION_FILTER_OPTIONS) options: LockExceptionFilterOptions = {}) {
    const seconds = options?.retryAfterSeconds ?? 1;
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new TypeError(
        `LockExceptionFilter: retryAfterSeconds must be a whole number of seconds >= 0, got ${String(seconds)}`,
      );
    }
    this.retryAfter = String(seconds);
  }

  /** Writes the answer (Nest calls it). */
  catch(error: MappedLockError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error; // not an HTTP request: leave it to the transport's own handling
    const { status, error: reason, message } = answer(error);
    const body: LockErrorResponseBody = { statusCode: status, error: reason, code: error.code, message };
    if (error.key !== undefined) body.lock = error.key;
    const reply = host.switchToHttp().getResponse<HttpReply>().status(status);
    if (status === HttpStatus.SERVICE_UNAVAILABLE) reply.header('Retry-After', this.retryAfter);
    reply.send(body);
  }
}
