import type { ResolvedLockConfig } from '../config/resolved-config.js';
import { InvalidLockOptionsError } from '../errors/index.js';
import { CircuitBreakerStore } from './circuit-breaker.store.js';
import type { LockStore } from './lock-store.js';
import { createRedisClient, createRedlockClients, type ClientHandle, type RedisLikeClient } from './redis-client.js';
import { RedisLockStore } from './redis-lock.store.js';
import { RedlockStore } from './redlock.store.js';
import { optionalRedisServiceClass, type NamespacedClients } from './nest-redis-service.js';

/** The client registered with `@liaoliaots/nestjs-redis` under `namespace`. */
function clientFromNamespace(namespace: string, clients: NamespacedClients | undefined): RedisLikeClient {
  if (!optionalRedisServiceClass()) {
    throw new InvalidLockOptionsError([
      {
        path: 'namespace',
        problem:
          'needs @liaoliaots/nestjs-redis: npm install @liaoliaots/nestjs-redis (or pass `client` / `addrs` instead)',
      },
    ]);
  }
  if (!clients) {
    throw new InvalidLockOptionsError([
      {
        path: 'namespace',
        problem: `no RedisModule from @liaoliaots/nestjs-redis is visible to RedisLockModule; import RedisModule.forRoot({ config: { namespace: '${namespace}', ... } }) (global by default)`,
      },
    ]);
  }
  const client = clients.getOrNil(namespace);
  if (!client) {
    throw new InvalidLockOptionsError([
      {
        path: 'namespace',
        problem: `no Redis client named "${namespace}" is registered with @liaoliaots/nestjs-redis`,
      },
    ]);
  }
  return client;
}

/**
 * Builds the module's store from its configuration, in this order: a `store` given as is; the
 * app's `client`; a client registered with `@liaoliaots/nestjs-redis` under `namespace`; otherwise
 * a client the module creates from `addrs` for the configured `mode` (closed on shutdown). `mode: 'redlock'`
 * builds one `RedisLockStore` per address under a {@link RedlockStore}.
 *
 * @example
 * const store = await createLockStore(resolveModuleOptions({ addrs: ['127.0.0.1:6379'] }));
 */
export async function createLockStore(config: ResolvedLockConfig, namespaced?: NamespacedClients): Promise<LockStore> {
  if (config.connection.store) return config.connection.store;
  const backend = await createBackendStore(config, namespaced);
  // The circuit breaker wraps stores built from Redis settings (a `store` given as is stays untouched).
  const breaker = config.circuitBreaker;
  return breaker?.enabled
    ? new CircuitBreakerStore(backend, {
        failureThreshold: breaker.failureThreshold,
        resetTimeoutMs: breaker.resetTimeoutMs,
      })
    : backend;
}

/** The Redis-backed store of {@link createLockStore}, before the circuit breaker. */
async function createBackendStore(
  config: ResolvedLockConfig,
  namespaced: NamespacedClients | undefined,
): Promise<LockStore> {
  const { connection } = config;
  const secrets = [connection.password, connection.sentinelPassword];
  if (connection.mode === 'redlock') {
    const nodes = createRedlockClients(connection, config.commandTimeoutMs).map(
      (node) =>
        new RedisLockStore({
          client: node.client,
          owned: node.owned,
          keyPrefix: config.keyPrefix,
          commandTimeoutMs: config.commandTimeoutMs,
          secrets,
        }),
    );
    return new RedlockStore({ nodes, driftFactor: connection.redlock?.driftFactor });
  }
  let handle: ClientHandle;
  if (connection.client) handle = { client: connection.client, owned: false };
  else if (connection.namespace)
    handle = { client: clientFromNamespace(connection.namespace, namespaced), owned: false };
  else handle = createRedisClient(connection, config.commandTimeoutMs);
  return new RedisLockStore({
    client: handle.client,
    owned: handle.owned,
    keyPrefix: config.keyPrefix,
    commandTimeoutMs: config.commandTimeoutMs,
    secrets,
    wait: connection.wait,
  });
}
