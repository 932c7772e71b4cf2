import { InvalidLockOptionsError } from '../errors/index.js';
import { assertPermitCounts } from '../lock/primitives/primitive-request.js';
import type { LockKeySource } from './lock-key-template.js';
import { lockingDecorator, type WithLockOptions } from './with-lock.decorator.js';

/**
 * Options of {@link WithSemaphore}: the semaphore's `permits`, how many one call takes (`count`),
 * and every {@link WithLockOptions} field (ttl, retry, `onLocked`, `lockService`, ...).
 *
 * @example
 * @WithSemaphore('partner-api', { permits: 4, onLocked: 'throw' })
 */
export interface WithSemaphoreOptions extends Omit<WithLockOptions, 'mode' | 'reentrant'> {
  /** Total permits of the semaphore (1–1,000,000; see `SemaphoreOptions.permits`). */
  permits: number;
  /** Permits one call takes. @default 1 */
  count?: number;
}

/**
 * Runs the decorated method while holding `count` of the `permits` permits of the semaphore named
 * by `key` (a template or function as for `@WithLock`, one key). Calls beyond the permits wait in
 * FIFO order (per the retry options), or with `onLocked: 'skip' | 'throw'` do not run. Inside the
 * method `currentLock()` is the holding (`kind` `'semaphore'`, `permits`, `signal`, `getFence()`).
 *
 * @default options count 1, onLocked 'wait', name '<Class>.<method>', lockService 'default'
 * @example
 * @Injectable()
 * export class PartnerClient {
 *   @WithSemaphore('partner-api', { permits: 4, ttl: '10s' })
 *   async fetchQuote(id: string) { return this.http.get(`/quotes/${id}`); }
 *
 *   @WithSemaphore('partner-api', { permits: 4, count: 2, onLocked: 'throw' })
 *   async bulkExport() { ... }
 * }
 */
export function WithSemaphore<A extends unknown[] = unknown[]>(
  key: LockKeySource<A>,
  options: WithSemaphoreOptions,
): MethodDecorator {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidLockOptionsError(
      [{ path: 'options', problem: 'must be an object with permits' }],
      '@WithSemaphore',
    );
  }
  const count = options.count ?? 1;
  assertPermitCounts(options.permits, count);
  const { permits } = options;
  return lockingDecorator(
    'WithSemaphore',
    key as LockKeySource,
    { ...options, reentrant: false },
    (service, keys, invoke, lockOptions, onLocked) => {
      if (keys.length !== 1) {
        throw new InvalidLockOptionsError([{ path: 'key', problem: 'a semaphore takes one key' }], '@WithSemaphore');
      }
      const semaphore = service.semaphore(keys[0], { permits });
      if (onLocked === 'wait') {
        return semaphore
          .withPermits(count, (permit) => invoke([permit]), lockOptions)
          .then((value) => ({ acquired: true as const, value }));
      }
      return semaphore.tryWithPermits(count, (permit) => invoke([permit]), lockOptions);
    },
    ['permits', 'count'],
  );
}
