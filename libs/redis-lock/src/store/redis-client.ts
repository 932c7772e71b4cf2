import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { maskAddress } from './scrub-secrets.js';
import type { ResolvedConnection } from '../config/resolved-config.js';
import type { RedisLikeClient } from './redis-like-client.js';

export type { RedisLikeClient } from './redis-like-client.js';

/** A connected client and whether this module created it (and so must close it). */
export interface ClientHandle {
  client: RedisLikeClient;
  owned: boolean;
}

/**
 * Parses one `addrs` entry (`host:port`, `[::1]:6379`, `redis://…`, `rediss://…`) into ioredis options.
 * An address it cannot parse throws an error that quotes it with its credentials masked.
 */
export function parseAddress(
  addr: string,
): Pick<RedisOptions, 'host' | 'port' | 'username' | 'password' | 'db' | 'tls'> {
  const unparsable = () =>
    new Error(`cannot parse address "${maskAddress(addr)}" (expected host:port or a redis:// or rediss:// URL)`);
  if (/^rediss?:\/\//i.test(addr)) {
    // A malformed URL or percent-escape (`%E0%A4%A`) is reported like any other unparsable address.
    try {
      const url = new URL(addr);
      const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
      return {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : 6379,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      };
    } catch {
      throw unparsable();
    }
  }
  const match = /^(?:\[([^\]]+)\]|([^:\s/@]+))(?::(\d+))?$/.exec(addr.trim());
  if (!match) throw unparsable();
  return { host: match[1] ?? match[2], port: match[3] ? Number(match[3]) : 6379 };
}

/**
 * ioredis settings every client this module creates gets: a command timeout below the TTL, no
 * offline queue (a call while disconnected fails at once instead of running late), one attempt per
 * command, and reconnects with capped backoff.
 */
export function lockClientDefaults(commandTimeoutMs: number): RedisOptions {
  return {
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    connectionName: 'lynx-redis-lock',
  };
}

/** Whether `client` is an ioredis `Cluster` (it has `nodes()`). */
export function isClusterClient(client: RedisLikeClient): client is Cluster {
  return typeof (client as { nodes?: unknown }).nodes === 'function';
}

function tlsOf(connection: ResolvedConnection, fromUrl: RedisOptions['tls']): ConnectionOptions | undefined {
  const tls = connection.tls === true ? {} : connection.tls || fromUrl;
  // Node's TLS options. ioredis 6 also takes a profile name ('RedisCloudFixed') in `tls`, but not in
  // `sentinelTLS`; neither our options nor a rediss:// URL produce one.
  return tls && typeof tls === 'object' ? (tls as ConnectionOptions) : undefined;
}

function credentials(connection: ResolvedConnection): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
  };
}

/**
 * Creates the client described by the connection options. This is the one place the module builds
 * clients from configuration:
 * - `single`: an ioredis `Redis` on `addrs[0]`;
 * - `sentinel`: an ioredis `Redis` that asks the Sentinels for the current master (`failoverDetector`
 *   on, so a `+switch-master` reconnects at once instead of after the old master drops the link);
 * - `cluster`: an ioredis `Cluster` seeded with every address, with the failover settings of
 *   `connection.cluster` (`retryDelayOnFailover`, `slotsRefreshTimeout`, ...). Lua scripts run by
 *   EVALSHA with an EVAL fallback on `NOSCRIPT`, so a promoted replica needs no preparation.
 * For `redlock` use {@link createRedlockClients}.
 *
 * @example
 * const { client } = createRedisClient({ addrs: ['127.0.0.1:6379'], db: 0, mode: 'single' }, 2000);
 */
export function createRedisClient(connection: ResolvedConnection, commandTimeoutMs: number): ClientHandle {
  const mode = connection.mode ?? 'single';
  if (mode === 'cluster') {
    const nodes = connection.addrs.map((addr) => parseAddress(addr));
    const fromUrl = nodes.find((n) => n.tls)?.tls;
    const urlCredentials = nodes.find((n) => n.password || n.username);
    const tls = tlsOf(connection, fromUrl);
    const defaults = lockClientDefaults(commandTimeoutMs);
    const c = connection.cluster;
    const client = new Cluster(
      nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        // Node connections: ioredis forces its own reconnect/offline-queue policy for them (a lost node
        // is dropped and the slot map refreshed), so only timeouts, name and credentials are passed.
        redisOptions: {
          commandTimeout: defaults.commandTimeout,
          connectTimeout: defaults.connectTimeout,
          maxRetriesPerRequest: defaults.maxRetriesPerRequest,
          autoResendUnfulfilledCommands: false,
          connectionName: defaults.connectionName,
          ...(urlCredentials?.username ? { username: urlCredentials.username } : {}),
          ...(urlCredentials?.password ? { password: urlCredentials.password } : {}),
          ...credentials(connection),
          ...(tls ? { tls } : {}),
        },
        scaleReads: 'master',
        enableOfflineQueue: false,
        enableReadyCheck: true,
        retryDelayOnFailover: c?.retryDelayOnFailover ?? 200,
        retryDelayOnClusterDown: c?.retryDelayOnClusterDown ?? 200,
        retryDelayOnTryAgain: c?.retryDelayOnTryAgain ?? 100,
        retryDelayOnMoved: 0,
        maxRedirections: c?.maxRedirections ?? 16,
        slotsRefreshTimeout: c?.slotsRefreshTimeout ?? 1000,
        ...(c?.slotsRefreshInterval ? { slotsRefreshInterval: c.slotsRefreshInterval } : {}),
        clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
      },
    );
    return { client, owned: true };
  }
  if (mode === 'sentinel') {
    const sentinels = (connection.sentinels ?? connection.addrs).map((addr) => {
      const a = parseAddress(addr.includes(':') || addr.includes('//') ? addr : `${addr}:26379`);
      return { host: a.host as string, port: a.port as number };
    });
    const tls = tlsOf(connection, undefined);
    const client = new Redis({
      ...lockClientDefaults(commandTimeoutMs),
      sentinels,
      name: connection.masterName ?? 'mymaster',
      role: 'master',
      failoverDetector: true,
      sentinelCommandTimeout: commandTimeoutMs,
      ...(connection.sentinelPassword ? { sentinelPassword: connection.sentinelPassword } : {}),
      ...(connection.sentinelUsername ? { sentinelUsername: connection.sentinelUsername } : {}),
      ...credentials(connection),
      db: connection.db,
      ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    });
    return { client, owned: true };
  }
  return createSingleClient(connection.addrs[0], connection, commandTimeoutMs);
}

function createSingleClient(addr: string, connection: ResolvedConnection, commandTimeoutMs: number): ClientHandle {
  const address = parseAddress(addr);
  const tls = tlsOf(connection, address.tls);
  const client = new Redis({
    ...lockClientDefaults(commandTimeoutMs),
    ...address,
    ...credentials(connection),
    db: address.db ?? connection.db,
    ...(tls ? { tls } : {}),
  });
  return { client, owned: true };
}

/**
 * Redlock: one independent single-node client per address in `addrs` (same credentials, TLS and
 * timeouts for each).
 *
 * @example
 * const handles = createRedlockClients({ addrs: ['r1:6379', 'r2:6379', 'r3:6379'], db: 0, mode: 'redlock' }, 2000);
 */
export function createRedlockClients(connection: ResolvedConnection, commandTimeoutMs: number): ClientHandle[] {
  return connection.addrs.map((addr) => createSingleClient(addr, connection, commandTimeoutMs));
}

/**
 * A second connection with the same settings, for SUBSCRIBE. Subscriptions are re-established
 * by ioredis after reconnects, so its offline queue stays on (a subscribe sent while reconnecting
 * waits instead of failing). On Cluster, `duplicate()` takes start-up nodes first; the duplicate's
 * `ClusterSubscriber` picks one node and moves to another when that node goes away. Releases use
 * plain `PUBLISH`, which Cluster broadcasts to every node, so one subscriber connection hears all.
 *
 * @example
 * const sub = subscriberClient(client); await sub.subscribe('lynx:lock:{job}:released');
 */
export function subscriberClient(client: RedisLikeClient): RedisLikeClient {
  if (isClusterClient(client)) return client.duplicate([], { enableOfflineQueue: true });
  return client.duplicate({ enableOfflineQueue: true });
}
