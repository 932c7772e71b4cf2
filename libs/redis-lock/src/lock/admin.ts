import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockOptionsError, LockKeyTypeError } from '../errors/index.js';
import type { LockStore } from '../store/lock-store.js';
import { assertLockName, unsafeRanges } from '../store/lock-keys.js';
import { ownerInstance } from '../store/owner-token.js';
import { HEALTH_PROBE_KEY } from './lock-health.check.js';
import type { LockInfo } from './lock-info.js';
import type { LockLogger } from './lock-logger.js';

/** What a `list()` prefix must not contain: braces and every character lock names refuse. */
const UNSAFE_PREFIX = new RegExp(`[{}${unsafeRanges()}]`);

const isLockName = (name: string): boolean => {
  try {
    assertLockName(name);
    return true;
  } catch {
    return false;
  }
};

/** `list()`: a key of another Redis type at a lock key is another client's data, not a lock. */
const skipWrongType = (error: unknown): undefined => {
  if (error instanceof LockKeyTypeError) return undefined;
  throw error;
};

/**
 * Inspection and administration behind `LockService.inspect`, `list` and `forceRelease`: what the
 * store holds, shown without owner tokens (only the holder's instance id).
 *
 * @example
 * const admin = new LockAdmin(store, config, logger);
 * const { held, owner } = await admin.inspect('job:report');
 */
export class LockAdmin {
  constructor(
    private readonly store: LockStore,
    private readonly config: ResolvedLockConfig,
    private readonly logger: LockLogger,
  ) {}

  /** See `LockService.inspect`. */
  async inspect(key: string): Promise<LockInfo> {
    const name = assertLockName(key);
    const info = await this.store.inspect(name);
    return {
      key: name,
      held: info.held,
      ...(info.owner ? { owner: ownerInstance(info.owner) } : {}),
      heldByThisInstance: info.owner !== undefined && ownerInstance(info.owner) === this.config.instanceId,
      holdCount: info.holdCount,
      ttlMs: info.ttlMs,
      ...(info.fence !== undefined ? { fence: info.fence } : {}),
      waiters: info.waiters,
    };
  }

  /** See `LockService.list`. */
  async list(prefix: string, limit: number): Promise<LockInfo[]> {
    if (typeof prefix !== 'string' || UNSAFE_PREFIX.test(prefix)) {
      const problem = 'must be a string without braces, control, bidi or zero-width characters';
      throw new InvalidLockOptionsError([{ path: 'prefix', problem }]);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new InvalidLockOptionsError([{ path: 'limit', problem: 'must be an integer from 1 to 1000' }]);
    }
    // The health probe's reserved name and names this module could not have written (another client's
    // keys under the same prefix) are skipped, not fatal; when they took slots, ask again for more (bounded).
    let names: string[] = [];
    for (let want = limit + 1; ; want = Math.min(want * 4, limit * 10 + 10)) {
      const found = await this.store.list(prefix, want);
      names = found.filter((n) => n !== HEALTH_PROBE_KEY && isLockName(n));
      if (names.length >= limit || found.length < want || want >= limit * 10 + 10) break;
    }
    names = names.slice(0, limit);
    // A key of another type under the prefix (another client's data) is not a lock: skipped.
    const infos = await Promise.all(names.map((n) => this.inspect(n).catch(skipWrongType)));
    return infos.filter((info): info is LockInfo => info !== undefined && info.held);
  }

  /** See `LockService.forceRelease`. */
  async forceRelease(key: string): Promise<boolean> {
    const name = assertLockName(key);
    if (!this.config.adminEnabled) {
      this.logger.warn(`forceRelease("${name}") refused: admin.enabled is false`);
      throw new InvalidLockOptionsError([{ path: 'admin.enabled', problem: 'must be true to use forceRelease()' }]);
    }
    const existed = await this.store.forceRelease(name);
    this.logger.warn(`forceRelease("${name}"): ${existed ? 'deleted' : 'was not held'}`);
    return existed;
  }
}
