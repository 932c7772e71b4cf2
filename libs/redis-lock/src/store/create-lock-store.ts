import type { ModuleRef } from '@nestjs/core';
import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockOptionsError } from '../errors/index.js';
import type { LockStore } from './lock-store.js';
import { createRedisClient, type ClientHandle, type RedisLikeClient } from './redis-client.js';
import { RedisLockStore } from './redis-lock.store.js';

/** Fetches a client registered with `@liaoliaots/nestjs-redis` under `namespace`. */
async function clientFromNamespace(namespace: string, moduleRef: ModuleRef): Promise<RedisLikeClient> {
  let nestRedis: typeof import('@liaoliaots/nestjs-redis');
  try {
    nestRedis = await import('@liaoliaots/nestjs-redis');
  } catch {
    throw new InvalidLockOptionsError([
      { path: 'namespace', problem: 'needs @liaoliaots/nestjs-redis: npm install @liaoliaots/nestjs-redis (or pass `client` / `addrs` instead)' },
    ]);
  }
  let service: InstanceType<typeof nestRedis.RedisService>;
  try {
    service = moduleRef.get(nestRedis.RedisService, { strict: false });
  } catch {
    throw new InvalidLockOptionsError([
      { path: 'namespace', problem: `no RedisModule from @liaoliaots/nestjs-redis is registered; import RedisModule.forRoot({ config: { namespace: '${namespace}', ... } })` },
    ]);
  }
  const client = service.getOrNil(namespace);
  if (!client) {
    throw new InvalidLockOptionsError([{ path: 'namespace', problem: `no Redis client named "${namespace}" is registered with @liaoliaots/nestjs-redis` }]);
  }
  return client;
}

/**
 * Builds the module's store from its configuration, in this order: a `store` given as is; the
 * app's `client`; a client registered with `@liaoliaots/nestjs-redis` under `namespace`; otherwise
 * a client the module creates from `addrs` (and closes on shutdown).
 *
 * @example
 * const store = await createLockStore(resolveModuleOptions({ addrs: ['127.0.0.1:6379'] }), moduleRef);
 */
export async function createLockStore(config: ResolvedLockConfig, moduleRef: ModuleRef): Promise<LockStore> {
  const { connection } = config;
  if (connection.store) return connection.store;
  let handle: ClientHandle;
  if (connection.client) handle = { client: connection.client, owned: false };
  else if (connection.namespace) handle = { client: await clientFromNamespace(connection.namespace, moduleRef), owned: false };
  else handle = createRedisClient(connection, config.commandTimeoutMs);
  return new RedisLockStore({
    client: handle.client,
    owned: handle.owned,
    keyPrefix: config.keyPrefix,
    commandTimeoutMs: config.commandTimeoutMs,
    secrets: [connection.password],
  });
}
