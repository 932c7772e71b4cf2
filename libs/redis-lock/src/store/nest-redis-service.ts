import { loadOptionalPeer } from '../runtime/optional-peer.loader.js';
import type { RedisLikeClient } from './redis-client.js';

/** The part of `@liaoliaots/nestjs-redis`' `RedisService` this module uses. */
export interface NamespacedClients {
  getOrNil(namespace?: string): RedisLikeClient | null;
}

/** The `RedisService` class type, used as an injection token. */
export type NamespacedClientsClass = abstract new (...args: never[]) => NamespacedClients;

let cached: NamespacedClientsClass | null | undefined;

/**
 * `RedisService` of `@liaoliaots/nestjs-redis` when that optional peer is installed, else
 * `undefined`. The module injects it (optionally) into the store factory, so Nest creates the app's
 * Redis clients before the lock store looks one up by `namespace`. Loaded with `require` (see
 * `loadOptionalPeer`), which shares the CommonJS module instance the app's own `import` gets.
 */
export function optionalRedisServiceClass(): NamespacedClientsClass | undefined {
  if (cached === undefined) {
    try {
      cached = loadOptionalPeer<{ RedisService: NamespacedClientsClass }>('@liaoliaots/nestjs-redis')?.RedisService ?? null;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
