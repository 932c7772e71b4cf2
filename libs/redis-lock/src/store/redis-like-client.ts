import type { Cluster, Redis } from 'ioredis';

/**
 * The client types the Redis store accepts: an ioredis `Redis` (single node or Sentinel) or
 * `Cluster` instance.
 *
 * @example
 * RedisLockModule.forRoot({ client: new Redis(process.env.REDIS_URL!) });
 */
export type RedisLikeClient = Redis | Cluster;
