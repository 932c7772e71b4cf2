import { performance } from 'node:perf_hooks';
import { MAX_KEYS_PER_LOCK } from '../config/limits.js';
import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockKeyError, InvalidLockOptionsError, LockAcquireTimeoutError } from '../errors/index.js';
import { assertLockName } from '../store/lock-keys.js';
import type { LockHandle } from './handles/lock-handle.js';
import type { LockOptions } from './lock-options.js';
import { MultiLockHandle } from './handles/multi-lock-handle.js';
import { resolveCallOptions } from './resolve-call-options.js';

/** Callback of `withLocks`: receives the held set, returns the result. */
export type MultiLockCallback<T> = (locks: MultiLockHandle) => Promise<T> | T;

/** Defaults of one call: reentrant and renewed like `withLock`. */
export interface TakeDefaults {
  reentrant: boolean;
  renew: boolean;
}

/**
 * @internal What the multi-key algorithm needs from `LockService` (kept there so the service's
 * state stays private): single-key acquisition, an optional atomic all-or-none attempt, and the
 * runner that holds locks around a callback.
 */
export interface MultiLockHost {
  readonly config: ResolvedLockConfig;
  /** One key: a single attempt (`once`, null when busy) or a waiting acquisition; reentrancy-aware. */
  take(
    key: string,
    options: LockOptions | undefined,
    defaults: TakeDefaults,
    once: boolean,
  ): Promise<LockHandle | null>;
  /**
   * One atomic attempt at several free keys (one Lua script), or `undefined` when the store cannot
   * do it for these keys (Redis Cluster, stores without multi-key support).
   */
  tryAtomic(
    names: readonly string[],
    options: LockOptions | undefined,
    defaults: TakeDefaults,
  ): Promise<LockHandle[] | { busy: string } | undefined>;
  /** Whether the current async context already holds `name` (a reentrant hold, never busy). */
  heldByContext(name: string): boolean;
  /** Runs `fn` with `handles` held by the current context, then releases them (reverse order). */
  runHeld<T>(handles: LockHandle[], fn: () => Promise<T> | T): Promise<T>;
}

/** Result of a single-attempt run: `acquired: false` means the callback did not run. */
export type TryRunResult<T> = { acquired: true; value: T } | { acquired: false; busyKey: string };

/**
 * The canonical order of a key set: validated, duplicates removed, sorted by UTF-16 code units
 * (the same order in every process, independent of locale).
 *
 * @example
 * canonicalKeys(['b', 'a', 'b']); // ['a', 'b']
 */
export function canonicalKeys(keys: unknown): string[] {
  if (!Array.isArray(keys) || keys.length === 0)
    throw new InvalidLockKeyError('keys', 'must be a non-empty array of lock names');
  if (keys.length > MAX_KEYS_PER_LOCK)
    throw new InvalidLockKeyError('keys', `must hold at most ${MAX_KEYS_PER_LOCK} lock names`);
  const names = keys.map((key, i) => assertLockName(key, `keys[${i}]`));
  return [...new Set(names)].sort(compareNames);
}

/** Code-unit order of lock names: the same in every process, whatever the locale. */
const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function releaseAll(handles: readonly LockHandle[]): Promise<void> {
  for (const handle of [...handles].reverse()) await handle.release().catch(() => undefined);
}

const byKey = (a: LockHandle, b: LockHandle) => compareNames(a.getKey(), b.getKey());

/**
 * One attempt at every key, all or none: keys the context already holds take a reentrant hold;
 * the free ones are taken by one atomic script when the store can, else one by one in canonical
 * order, releasing what was taken as soon as one is busy.
 */
async function tryAll(
  host: MultiLockHost,
  names: readonly string[],
  options: LockOptions | undefined,
  defaults: TakeDefaults,
): Promise<LockHandle[] | { busy: string }> {
  const taken: LockHandle[] = [];
  try {
    const own = names.filter((name) => host.heldByContext(name));
    const free = names.filter((name) => !host.heldByContext(name));
    for (const name of own) taken.push((await host.take(name, options, defaults, true))!);
    if (free.length > 1) {
      const atomic = await host.tryAtomic(free, options, defaults);
      if (atomic !== undefined) {
        if (!Array.isArray(atomic)) {
          await releaseAll(taken);
          return atomic;
        }
        taken.push(...atomic);
        return taken;
      }
    }
    for (const name of free) {
      const handle = await host.take(name, options, defaults, true);
      if (!handle) {
        await releaseAll(taken);
        return { busy: name };
      }
      taken.push(handle);
    }
    return taken;
  } catch (error) {
    await releaseAll(taken);
    throw error;
  }
}

/**
 * Takes every key (all or none) and returns the handles in canonical order, or `{ busy }` with a
 * single attempt (`once`).
 *
 * Waiting never holds a lock of this call: after a busy answer it releases what it took, then
 * waits for the busy key alone with the ordinary acquire loop (pub/sub wake-up, backoff, deadlock
 * detection against locks the context held before), and tries the others again while holding it.
 * Two callers that want overlapping key sets can therefore never wait for each other in a cycle.
 */
export async function acquireAll(
  host: MultiLockHost,
  keys: readonly string[],
  options: LockOptions | undefined,
  defaults: TakeDefaults,
  once: boolean,
): Promise<LockHandle[] | { busy: string }> {
  const names = canonicalKeys(keys);
  if (names.length === 1) {
    const handle = await host.take(names[0], options, defaults, once);
    return handle ? [handle] : { busy: names[0] };
  }
  const call = resolveCallOptions(host.config, options, defaults); // validates the options once, up front
  if (options?.mode !== undefined) {
    throw new InvalidLockOptionsError([
      { path: 'options.mode', problem: 'takes one key (a read-write lock of one name)' },
    ]);
  }
  const started = performance.now();
  let anchor: LockHandle | undefined;
  let rounds = 0;
  try {
    for (;;) {
      rounds++;
      const rest = anchor ? names.filter((name) => name !== anchor!.getKey()) : names;
      const result = await tryAll(host, rest, options, defaults);
      if (Array.isArray(result)) {
        const all = anchor ? [anchor, ...result] : result;
        anchor = undefined;
        return all.sort(byKey);
      }
      if (anchor) await releaseAll([anchor]);
      anchor = undefined;
      if (once) return result;
      const elapsed = performance.now() - started;
      const remaining = Math.floor(call.retry.maxElapsedMs - elapsed);
      if (remaining <= 0) throw new LockAcquireTimeoutError(result.busy, rounds, elapsed);
      anchor = (await host.take(result.busy, { ...options, maxElapsedTime: remaining }, defaults, false))!;
    }
  } catch (error) {
    if (anchor) await releaseAll([anchor]);
    throw error;
  }
}

/**
 * `withLocks` / `tryWithLocks`: takes the keys (all or none), runs `fn` with the set held (each
 * lock reentrant within `fn`'s async tree and renewed by the watchdog), releases them in reverse
 * order and returns `fn`'s result.
 */
export async function runWithLocks<T>(
  host: MultiLockHost,
  keys: readonly string[],
  fn: MultiLockCallback<T>,
  options: LockOptions | undefined,
  once: boolean,
): Promise<TryRunResult<T>> {
  if (typeof fn !== 'function') throw new InvalidLockOptionsError([{ path: 'fn', problem: 'must be a function' }]);
  const defaults: TakeDefaults = { reentrant: true, renew: host.config.renewal.enabled };
  const taken = await acquireAll(host, keys, options, defaults, once);
  if (!Array.isArray(taken)) return { acquired: false, busyKey: taken.busy };
  const set = new MultiLockHandle(taken);
  return { acquired: true, value: await host.runHeld(taken, () => fn(set)) };
}
