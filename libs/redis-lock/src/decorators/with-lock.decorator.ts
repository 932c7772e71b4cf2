import { performance } from 'node:perf_hooks';
import { parseDuration, type Duration } from '../config/duration.js';
import { MAX_DURATION_MS } from '../config/limits.js';
import { InvalidLockOptionsError, LockAcquireTimeoutError, type OptionProblem } from '../errors/index.js';
import type { LockHandle } from '../lock/handles/lock-handle.js';
import type { LockKind } from '../lock/lock-kind.js';
import type { TryRunResult } from '../lock/multi-lock.js';
import type { LockOptions } from '../lock/lock-options.js';
import { lockServiceRegistry, type RegisteredLockService } from '../lock/lock-service.registry.js';
import { MIN_LOCK_TTL_MS, TTL_RANGE_PROBLEM } from '../lock/lock-validity.js';
import { DEFAULT_LOCK_SERVICE_NAME } from '../redis-lock.constants.js';
import { compileLockKey, type KeyValueEncoding, type LockKeySource } from './lock-key-template.js';

/**
 * What a `@WithLock` method does when its lock is held by someone else.
 * - `wait`: wait per the retry options (then `LockAcquireTimeoutError`);
 * - `skip`: do not run, resolve `undefined`, emit `skipped` (counted by statistics and metrics);
 * - `throw`: do not run, reject with `LockAcquireTimeoutError` at once.
 *
 * @example
 * @WithLock('job:report', { onLocked: 'skip' })
 */
export type OnLocked = 'wait' | 'skip' | 'throw';

/**
 * Options of {@link WithLock}: every {@link LockOptions} field (ttl, retry, renewal, ...) plus the
 * decorator's own.
 *
 * @example
 * @Cron('0 * * * * *')
 * @WithLock('job:report', { onLocked: 'skip', lockAtMostFor: '10m', lockAtLeastFor: '30s' })
 * async report() { ... }
 */
export interface WithLockOptions extends LockOptions {
  /** What to do when the lock is busy. @default 'wait' */
  onLocked?: OnLocked;
  /** Reuse a lock the calling async context already holds (hold count +1) instead of waiting for it. @default true */
  reentrant?: boolean;
  /** Low-cardinality label for metrics and statistics. @default '<Class>.<method>' */
  name?: string;
  /**
   * ShedLock's `lockAtMostFor`: the lock expires this long after it was taken even if the method
   * hangs (sets the TTL and turns renewal off). Cannot be combined with `ttl`/`expiration` or
   * `renewalEnabled: true`.
   * @default none (the TTL and the watchdog apply)
   */
  lockAtMostFor?: Duration;
  /**
   * ShedLock's `lockAtLeastFor`: when the method finishes sooner, the lock stays taken until this
   * long after it was acquired, so a peer whose clock is a little off does not run the same
   * scheduled tick again. Must not exceed `lockAtMostFor`.
   * @default none (released when the method returns)
   */
  lockAtLeastFor?: Duration;
  /** Name of the module instance whose `LockService` to use (`RedisLockModule.forRoot({ name })`). @default 'default' */
  lockService?: string;
  /**
   * How a key template inserts argument values: `'escape'` percent-encodes separators (`:` `/` `|`
   * `%` ...) inside values, so `'order:{0}'` with `'5:items'` gives `order:5%3Aitems` and never the key
   * of `'order:{0}:items'` with `'5'`; ids, UUIDs and e-mail addresses are unchanged. `'hash'` inserts
   * the SHA-256 of each value (32 hex digits); `'raw'` inserts values as they are. The exact rule is
   * in {@link KeyValueEncoding}. Key functions are not affected.
   * @default 'escape'
   * @example
   * @WithLock('order:{0}', { keyValues: 'raw' })
   */
  keyValues?: KeyValueEncoding;
}

const DECORATOR_ONLY = ['onLocked', 'lockAtMostFor', 'lockAtLeastFor', 'lockService', 'keyValues'] as const;
const ON_LOCKED: readonly OnLocked[] = ['wait', 'skip', 'throw'];

/** Decoration-time checks of the decorator's own options; `LockOptions` fields are checked per call by the service. */
function checkOptions(
  options: WithLockOptions,
  where: string,
  decorator: string,
): { atMostMs?: number; atLeastMs?: number } {
  const problems: OptionProblem[] = [];
  if (typeof options !== 'object' || options === null)
    throw new InvalidLockOptionsError(
      [{ path: 'options', problem: 'must be an object' }],
      `@${decorator} options of ${where}`,
    );
  if (options.onLocked !== undefined && !ON_LOCKED.includes(options.onLocked)) {
    problems.push({ path: 'options.onLocked', problem: `must be one of ${ON_LOCKED.join(', ')}` });
  }
  if (
    options.lockService !== undefined &&
    (typeof options.lockService !== 'string' || options.lockService.length === 0)
  ) {
    problems.push({
      path: 'options.lockService',
      problem: 'must be the non-empty name of a RedisLockModule.forRoot({ name }) instance',
    });
  }
  const duration = (value: unknown, path: string, min = 1): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined || ms < min || ms > MAX_DURATION_MS) {
      const range = `must be a duration (ms number or string like '30s') between ${min} ms and ${MAX_DURATION_MS} ms`;
      problems.push({ path, problem: min === MIN_LOCK_TTL_MS ? TTL_RANGE_PROBLEM : range });
      return undefined;
    }
    return ms;
  };
  const atMostMs = duration(options.lockAtMostFor, 'options.lockAtMostFor', MIN_LOCK_TTL_MS); // it is the TTL
  const atLeastMs = duration(options.lockAtLeastFor, 'options.lockAtLeastFor');
  if (options.lockAtMostFor !== undefined) {
    if (options.ttl !== undefined || options.expiration !== undefined) {
      problems.push({ path: 'options.lockAtMostFor', problem: 'sets the TTL itself; remove ttl / expiration' });
    }
    if (options.renewalEnabled === true)
      problems.push({ path: 'options.lockAtMostFor', problem: 'turns renewal off; remove renewalEnabled: true' });
  }
  if (atMostMs !== undefined && atLeastMs !== undefined && atLeastMs > atMostMs) {
    problems.push({ path: 'options.lockAtLeastFor', problem: 'must not be longer than lockAtMostFor' });
  }
  if (problems.length > 0) throw new InvalidLockOptionsError(problems, `@${decorator} options of ${where}`);
  return { atMostMs, atLeastMs };
}

/** The service for `name`, or an error that says how to make one exist. */
function serviceFor(name: string, where: string, decorator: string): RegisteredLockService {
  const service = lockServiceRegistry.get(name);
  if (service) return service;
  const named = name === DEFAULT_LOCK_SERVICE_NAME ? '' : ` with { name: '${name}' }`;
  throw new InvalidLockOptionsError(
    [
      {
        path: 'lockService',
        problem:
          `no LockService named "${name}" exists. Import RedisLockModule.forRoot({...})${named} (or LockTestingModule.forRoot() in unit tests) ` +
          'in the application module, and call the method only once the Nest application is created (not from a constructor, not after app.close())' +
          (named ? '' : "; for another module instance pass @WithLock(key, { lockService: '<name>' })"),
      },
    ],
    `@${decorator} on ${where}`,
  );
}

/** Copies every own metadata entry of `from` onto `to` (so `@Cron`, `@Get`, Swagger keep working). */
function copyMetadata(from: object, to: object): void {
  const reflect = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[];
    getOwnMetadata(key: unknown, target: object): unknown;
    defineMetadata(key: unknown, value: unknown, target: object): void;
  };
  if (typeof reflect.getOwnMetadataKeys !== 'function') return; // reflect-metadata not loaded: nothing can have been stored
  for (const key of reflect.getOwnMetadataKeys(from))
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, from), to);
}

/**
 * Runs the decorated method while holding a lock whose key is computed from the arguments.
 *
 * - `key`: a template (`'order:{0}'`, `'order:{0.id}'`, `'user:{1.profile.id}'`), an array of
 *   templates (all keys taken together, all or none, deadlock-free), or a typed function
 *   `(...args) => string | string[]`. A template that reads a missing value rejects with an
 *   `InvalidLockKeyError` naming the template and the argument.
 * - The method keeps `this`, its arguments, result and errors; inside it `currentLock()` returns
 *   the held lock (`fence`, `signal`).
 * - Every metadata key of the original method is copied to the wrapper, so decorators stacked
 *   above or below (`@Cron`, `@Interval`, `@Get`, Swagger, ...) keep working.
 * - The `LockService` is looked up at call time (the service registers itself when Nest creates
 *   it), so any provider or plain class can use the decorator without injecting anything.
 *
 * Decorate async methods: the wrapped method always returns a promise.
 *
 * @default options onLocked 'wait', reentrant true, name '<Class>.<method>', lockService 'default'
 * @example
 * @Injectable()
 * export class Orders {
 *   @WithLock('order:{0.id}', { ttl: '10s' })
 *   async ship(order: Order) {
 *     const fence = await currentLock()!.getFence();
 *     await this.db.markShipped(order.id, fence);
 *   }
 *
 *   @WithLock((from: string, to: string) => [`account:${from}`, `account:${to}`])
 *   async transfer(from: string, to: string, amount: number) { ... }
 * }
 */
export function WithLock<A extends unknown[] = unknown[]>(
  key: LockKeySource<A>,
  options: WithLockOptions = {},
): MethodDecorator {
  return lockingDecorator(
    'WithLock',
    key as LockKeySource,
    options,
    async (service, keys, invoke, lockOptions, onLocked) => {
      if (onLocked === 'wait') {
        if (keys.length === 1)
          return { acquired: true, value: await service.withLock(keys[0], (lock) => invoke([lock]), lockOptions) };
        return { acquired: true, value: await service.withLocks(keys, (held) => invoke(held.locks), lockOptions) };
      }
      return service.tryWithLocks(keys, (held) => invoke(held.locks), lockOptions);
    },
  );
}

/**
 * @internal The part every locking decorator shares: key compilation, option checks, metadata
 * copying, the service lookup at call time, `lockAtLeastFor`, and `onLocked`. `execute` takes the
 * lock(s) and runs `invoke`; with `onLocked` other than `wait` it makes one attempt.
 */
export function lockingDecorator(
  decorator: string,
  key: LockKeySource,
  options: WithLockOptions,
  execute: (
    service: RegisteredLockService,
    keys: readonly string[],
    invoke: (locks: readonly LockHandle[]) => unknown,
    lockOptions: LockOptions,
    onLocked: OnLocked,
  ) => Promise<TryRunResult<unknown>>,
  ownFields: readonly string[] = [],
): MethodDecorator {
  const keyOf = compileLockKey(key, options?.keyValues ?? 'escape');
  return (target, propertyKey, descriptor: PropertyDescriptor) => {
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    const where = `${owner}.${String(propertyKey)}`;
    const original = descriptor?.value;
    if (typeof original !== 'function') {
      throw new InvalidLockOptionsError(
        [{ path: 'target', problem: 'must be a method (not a property or accessor)' }],
        `@${decorator} on ${where}`,
      );
    }
    const { atMostMs, atLeastMs } = checkOptions(options, where, decorator);
    const onLocked = options.onLocked ?? 'wait';
    const serviceName = options.lockService ?? DEFAULT_LOCK_SERVICE_NAME;
    const lockOptions: LockOptions = { ...options, name: options.name ?? where, reentrant: options.reentrant ?? true };
    for (const field of [...DECORATOR_ONLY, ...ownFields]) delete (lockOptions as Record<string, unknown>)[field];
    if (atMostMs !== undefined)
      Object.assign(lockOptions, { ttl: atMostMs, renewalEnabled: false, maxHoldTime: atMostMs });

    const wrapper = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const service = serviceFor(serviceName, where, decorator);
      const keys = keyOf(args);
      const invoke = (locks: readonly LockHandle[]) => {
        if (atLeastMs !== undefined) {
          for (const lock of locks) if (!lock.parent) lock.state.keepUntil = lock.state.acquiredAt + atLeastMs;
        }
        return original.apply(this, args);
      };
      const started = performance.now();
      const run = await execute(service, keys, invoke, lockOptions, onLocked);
      if (run.acquired) return run.value;
      if (onLocked === 'skip') {
        service.noteSkipped(lockOptions.name!, run.busyKey, kindOf(decorator, lockOptions));
        return undefined;
      }
      throw new LockAcquireTimeoutError(run.busyKey, 1, performance.now() - started, kindOf(decorator, lockOptions));
    };
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    copyMetadata(original, wrapper);
    descriptor.value = wrapper;
    return descriptor;
  };
}

/** What a decorator's `skipped` event reports. */
const kindOf = (decorator: string, options: LockOptions): LockKind =>
  decorator === 'WithSemaphore' ? 'semaphore' : (options.mode ?? 'mutex');
