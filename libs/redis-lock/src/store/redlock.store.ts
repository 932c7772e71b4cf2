import { performance } from 'node:perf_hooks';
import { LockBackendError } from '../errors/index.js';
import type { AcquireResult, LockStore, RenewRequest, StoredLockInfo } from './lock-store.js';
import type { ReleaseEvent, ReleaseListener } from './release-event.js';

/** Settings of {@link RedlockStore}. */
export interface RedlockStoreOptions {
  /** One store per independent master (normally a `RedisLockStore` each); at least 3. */
  nodes: readonly LockStore[];
  /** Clock drift allowance as a fraction of the TTL (plus 2 ms for Redis' expiry precision). @default 0.01 */
  driftFactor?: number;
}

/** Most names asked from each node by `list` (its result is exact below this many held locks). */
const REDLOCK_LIST_SCAN_LIMIT = 10_000;

type Settled<T> = { ok: true; value: T; node: number } | { ok: false; error: unknown; node: number };

const settle = <T>(promises: Promise<T>[]): Promise<Settled<T>[]> =>
  Promise.all(
    promises.map((p, node) =>
      p.then(
        (value) => ({ ok: true as const, value, node }),
        (error: unknown) => ({ ok: false as const, error, node }),
      ),
    ),
  );

const reason = (error: unknown): string =>
  error instanceof LockBackendError
    ? String((error.cause as { message?: string })?.message ?? error.message)
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * Redlock: a {@link LockStore} over N independent Redis masters (no replication between them).
 * A lock is held when a majority (`⌊N/2⌋ + 1`) granted it and the time left,
 * `validity = TTL − elapsed − (TTL × driftFactor + 2 ms)` measured on the monotonic clock from
 * before the first request, is positive. Otherwise every node that may have granted it is released
 * again, so no partial lock stays behind.
 *
 * - Busy (a majority is held by other owners) is the ordinary `{ acquired: false }`.
 * - A majority that cannot be reached because nodes fail or time out is `LockBackendError`
 *   ("quorum not reached").
 * - The fencing token is the maximum of the quorum's tokens; each node mints
 *   them from a counter seeded from its server time in µs when missing, so tokens keep rising when a
 *   node restarts empty. Tokens are minted lazily (`mintFence`, on every node that still holds the
 *   lock for the owner, a quorum needed) unless the acquire asks for one.
 * - The uncontended acquire (`claim`) is one native `SET NX PX` per node, under the same quorum and
 *   validity rules as `acquire`.
 * - Renewal needs a quorum; `inspect` reports the owner that holds a majority.
 *
 * @example
 * const store = new RedlockStore({ nodes: [a, b, c].map((client) => new RedisLockStore({ client, owned: true })) });
 * await store.init();
 */
export class RedlockStore implements LockStore {
  readonly kind = 'redlock';
  private readonly nodes: readonly LockStore[];
  private readonly driftFactor: number;
  /** Majority of the nodes. */
  readonly quorum: number;

  constructor(options: RedlockStoreOptions) {
    if (options.nodes.length < 1) throw new Error('RedlockStore needs at least one node');
    this.nodes = options.nodes;
    this.driftFactor = options.driftFactor ?? 0.01;
    this.quorum = Math.floor(options.nodes.length / 2) + 1;
  }

  /** The per-node stores (for health details). */
  get members(): readonly LockStore[] {
    return this.nodes;
  }

  private quorumError(
    operation: string,
    name: string | undefined,
    results: Settled<unknown>[],
    detail = '',
  ): LockBackendError {
    const failed = results.filter((r): r is Extract<Settled<unknown>, { ok: false }> => !r.ok);
    const causes = [...new Set(failed.map((f) => reason(f.error)))].slice(0, 3).join('; ');
    return new LockBackendError(
      operation,
      `quorum not reached: ${results.length - failed.length} of ${this.nodes.length} nodes answered, ${this.quorum} needed${detail}${causes ? ` (${causes})` : ''}`,
      name,
    );
  }

  /** Connects every node; succeeds when a majority is reachable (the rest reconnect by themselves). */
  async init(): Promise<void> {
    const results = await settle(this.nodes.map((n) => n.init()));
    if (results.filter((r) => r.ok).length < this.quorum) throw this.quorumError('init', undefined, results);
  }

  /** Drift allowance of a TTL: `TTL × driftFactor + 2 ms` (node-redlock's formula). */
  drift(ttlMs: number): number {
    return Math.round(ttlMs * this.driftFactor) + 2;
  }

  /**
   * The uncontended acquire on every node (each node's `claim`, a native `SET NX PX`): `true` with a
   * valid quorum; otherwise partial grants are released and it is `false` (busy or too late: the caller
   * goes on to `acquire`) or, when failures cost the majority, {@link LockBackendError}. `false` at once when a
   * node has no fast path.
   */
  async claim(name: string, owner: string, ttlMs: number): Promise<boolean> {
    if (this.nodes.some((n) => typeof n.claim !== 'function')) return false;
    const started = performance.now();
    const results = await settle(this.nodes.map((n) => n.claim!(name, owner, ttlMs)));
    const validity = ttlMs - (performance.now() - started) - this.drift(ttlMs);
    const granted = results.filter((r) => r.ok && r.value);
    const failed = results.filter((r) => !r.ok);
    if (granted.length >= this.quorum && validity > 0) return true;
    await settle([...granted, ...failed].map((r) => this.nodes[r.node].release(name, owner)));
    // A quorum reached too late (validity ran out) is no lock, but Redis answered: not acquired (as `acquire`).
    if (granted.length < this.quorum && granted.length + failed.length >= this.quorum) {
      throw this.quorumError('acquire', name, results, `, ${granted.length} granted; partial locks were released`);
    }
    return false;
  }

  /** Whether any node's store listens on the lock's release channel now (see `LockStore.watched`). */
  watched(name: string): boolean {
    return this.nodes.some((n) => n.watched?.(name) ?? false);
  }

  /** Mints on every node (owner-checked); the token is the maximum of a quorum's, `undefined` when no quorum holds it. */
  async mintFence(name: string, owner: string, ttlMs: number): Promise<number | undefined> {
    const results = await settle(this.nodes.map((n) => n.mintFence(name, owner, ttlMs)));
    const tokens = results.flatMap((r) => (r.ok && r.value !== undefined ? [r.value] : []));
    if (tokens.length >= this.quorum) return Math.max(...tokens);
    const failed = results.filter((r) => !r.ok).length;
    if (tokens.length + failed >= this.quorum)
      throw this.quorumError('fence', name, results, `, ${tokens.length} minted`);
    return undefined;
  }

  async acquire(name: string, owner: string, ttlMs: number, reentrant: boolean, fence = false): Promise<AcquireResult> {
    const started = performance.now();
    const results = await settle(this.nodes.map((n) => n.acquire(name, owner, ttlMs, reentrant, fence)));
    const validity = ttlMs - (performance.now() - started) - this.drift(ttlMs);
    const granted = results.filter((r) => r.ok && r.value.acquired) as {
      ok: true;
      value: Extract<AcquireResult, { acquired: true }>;
      node: number;
    }[];
    const busy = results.filter((r) => r.ok && !r.value.acquired) as {
      ok: true;
      value: Extract<AcquireResult, { acquired: false }>;
      node: number;
    }[];
    const failed = results.filter((r) => !r.ok);

    if (granted.length >= this.quorum && validity > 0) {
      const fences = granted.map((g) => g.value.fence);
      return {
        acquired: true,
        fence: fences.every((f) => f !== undefined) ? Math.max(...fences) : undefined,
        holdCount: Math.max(...granted.map((g) => g.value.holdCount)),
      };
    }
    // Undo: every node that granted, and every node whose answer was lost (it may have granted).
    // Nodes that answered "busy" are left alone: releasing there could drop another hold of ours.
    const undo = [...granted, ...failed].map((r) => r.node);
    await settle(undo.map((i) => this.nodes[i].release(name, owner)));

    if (granted.length >= this.quorum) {
      // Quorum reached too late (validity ran out): no lock, but Redis answered. Not acquired; the
      // caller retries per its strategy (and the circuit breaker does not count it as a failure).
      return { acquired: false, holderTtlMs: -1, heldBySelf: false };
    }
    if (granted.length + failed.length >= this.quorum) {
      // The majority was lost to failures, not to other holders.
      throw this.quorumError('acquire', name, results, `, ${granted.length} granted; partial locks were released`);
    }
    const ttls = busy.map((b) => b.value.holderTtlMs).filter((t) => t >= 0);
    return {
      acquired: false,
      holderTtlMs: ttls.length > 0 ? Math.min(...ttls) : -1,
      heldBySelf: busy.filter((b) => b.value.heldBySelf).length >= this.quorum,
    };
  }

  async release(name: string, owner: string): Promise<number> {
    const results = await settle(this.nodes.map((n) => n.release(name, owner)));
    const answers = results.filter((r) => r.ok).map((r) => (r as { value: number }).value);
    const held = answers.filter((v) => v >= 0);
    if (held.length > 0) return Math.max(...held);
    if (answers.length >= this.quorum) return -1;
    throw this.quorumError('release', name, results);
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const started = performance.now();
    const results = await settle(this.nodes.map((n) => n.renew(name, owner, ttlMs)));
    const renewed = results.filter((r) => r.ok && r.value).length;
    const validity = ttlMs - (performance.now() - started) - this.drift(ttlMs);
    if (renewed >= this.quorum && validity > 0) return true;
    const failed = results.filter((r) => !r.ok).length;
    if (renewed + failed >= this.quorum && failed > 0)
      throw this.quorumError('renew', name, results, `, ${renewed} renewed`);
    return false;
  }

  async renewMany(requests: readonly RenewRequest[]): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const started = performance.now();
    // One batched round trip per node, all nodes in parallel.
    const results = await settle(this.nodes.map((n) => n.renewMany(requests)));
    const elapsed = performance.now() - started;
    const answered = results.filter((r) => r.ok) as { ok: true; value: boolean[]; node: number }[];
    if (answered.length < this.quorum) throw this.quorumError('renew', undefined, results);
    return requests.map(
      (r, i) => answered.filter((a) => a.value[i]).length >= this.quorum && r.ttlMs - elapsed - this.drift(r.ttlMs) > 0,
    );
  }

  async inspect(name: string): Promise<StoredLockInfo> {
    const results = await settle(this.nodes.map((n) => n.inspect(name)));
    const infos = results.filter((r) => r.ok).map((r) => (r as { value: StoredLockInfo }).value);
    if (infos.length < this.quorum) throw this.quorumError('inspect', name, results);
    const byOwner = new Map<string, StoredLockInfo[]>();
    for (const info of infos) {
      if (info.held && info.owner) byOwner.set(info.owner, [...(byOwner.get(info.owner) ?? []), info]);
    }
    for (const [owner, held] of byOwner) {
      if (held.length < this.quorum) continue;
      // The lock lasts while a majority still has it: the quorum-th longest TTL.
      const ttls = held.map((h) => h.ttlMs).sort((a, b) => b - a);
      const fences = held.flatMap((h) => (h.fence === undefined ? [] : [h.fence]));
      return {
        name,
        held: true,
        owner,
        holdCount: Math.max(...held.map((h) => h.holdCount)),
        ttlMs: ttls[this.quorum - 1],
        ...(fences.length > 0 ? { fence: Math.max(...fences) } : {}),
        waiters: Math.max(...held.map((h) => h.waiters)),
      };
    }
    return { name, held: false, holdCount: 0, ttlMs: -2, waiters: 0 };
  }

  async list(prefix: string, limit: number): Promise<string[]> {
    // Each node's own limit would cut its list at arbitrary names, so nodes are asked for more.
    const results = await settle(this.nodes.map((n) => n.list(prefix, Math.max(limit, REDLOCK_LIST_SCAN_LIMIT))));
    const lists = results.filter((r) => r.ok).map((r) => (r as { value: string[] }).value);
    if (lists.length < this.quorum) throw this.quorumError('list', undefined, results);
    const counts = new Map<string, number>();
    for (const names of lists) for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    return [...counts]
      .filter(([, n]) => n >= this.quorum)
      .map(([name]) => name)
      .sort()
      .slice(0, limit);
  }

  async forceRelease(name: string): Promise<boolean> {
    const results = await settle(this.nodes.map((n) => n.forceRelease(name)));
    const answers = results.filter((r) => r.ok).map((r) => (r as { value: boolean }).value);
    if (answers.length < this.quorum) throw this.quorumError('forceRelease', name, results);
    return answers.some(Boolean);
  }

  /**
   * Subscribes on every node. Resolves once `N − quorum + 1` subscriptions are active: any majority
   * that held the lock then shares a node with them, so its release is heard. Each release arrives
   * once per node; the listener fires once per release: a message counts as new only when its node
   * has now seen more messages than any node had before (the other nodes' copies then follow).
   */
  async onRelease(name: string, listener: ReleaseListener): Promise<() => void> {
    const needed = this.nodes.length - this.quorum + 1;
    const seen = this.nodes.map(() => 0);
    let generation = 0;
    const notifyFrom = (node: number) => (event: ReleaseEvent) => {
      seen[node] += 1;
      if (seen[node] <= generation) return;
      generation = seen[node];
      listener(event);
    };
    const removers: (() => void)[] = [];
    let closed = false;
    const unsubscribe = () => {
      closed = true;
      for (const remove of removers.splice(0)) remove();
    };
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      let failed = 0;
      const errors: unknown[] = [];
      this.nodes.forEach((node, i) => {
        node.onRelease(name, notifyFrom(i)).then(
          (remove) => {
            if (closed) return remove();
            removers.push(remove);
            if (++active === needed) resolve();
          },
          (error: unknown) => {
            errors.push(error);
            if (++failed === this.nodes.length - needed + 1) {
              unsubscribe();
              reject(
                new LockBackendError(
                  'subscribe',
                  `quorum not reached: ${active} of ${needed} needed subscriptions active (${reason(errors[0])})`,
                  name,
                ),
              );
            }
          },
        );
      });
    });
    return unsubscribe;
  }

  /** Latency of the slowest node of the fastest majority. */
  async ping(): Promise<number> {
    const results = await settle(this.nodes.map((n) => n.ping()));
    const latencies = results
      .filter((r) => r.ok)
      .map((r) => (r as { value: number }).value)
      .sort((a, b) => a - b);
    if (latencies.length < this.quorum) throw this.quorumError('ping', undefined, results);
    return latencies[this.quorum - 1];
  }

  async close(): Promise<void> {
    await settle(this.nodes.map((n) => n.close()));
  }
}
