import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type { ResolvedConnection } from '../config/resolved-config.js';

/**
 * The client types the Redis store accepts: an ioredis `Redis` (single node or Sentinel) or
 * `Cluster` instance.
 *
 * @example
 * RedisLockModule.forRoot({ client: new Redis(process.env.REDIS_URL!) });
 */
export type RedisLikeClient = Redis | Cluster;

/** A connected client and whether this module created it (and so must close it). */
export interface ClientHandle {
  client: RedisLikeClient;
  owned: boolean;
}

/** Parses one `addrs` entry (`host:port`, `[::1]:6379`, `redis://…`, `rediss://…`) into ioredis options. */
export function parseAddress(addr: string): Pick<RedisOptions, 'host' | 'port' | 'username' | 'password' | 'db' | 'tls'> {
  if (/^rediss?:\/\//i.test(addr)) {
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
  }
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(addr.trim());
  if (!match) throw new Error(`cannot parse address "${addr}" (expected host:port or a redis:// URL)`);
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

/**
 * Creates the single-node client described by the connection options. This is the one place the
 * module builds clients from configuration.
 *
 * @example
 * const { client } = createRedisClient({ addrs: ['127.0.0.1:6379'], db: 0 }, 2000);
 */
export function createRedisClient(connection: ResolvedConnection, commandTimeoutMs: number): ClientHandle {
  const address = parseAddress(connection.addrs[0]);
  const tls = connection.tls === true ? {} : connection.tls || address.tls;
  const client = new Redis({
    ...lockClientDefaults(commandTimeoutMs),
    ...address,
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
    db: address.db ?? connection.db,
    ...(tls ? { tls: tls as RedisOptions['tls'] } : {}),
  });
  return { client, owned: true };
}
