import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryLockStore, loadYamlConfig, type RedisLockModuleOptions } from '@lynx-nest/redis-lock';
import type { DemoBackend } from './redis-bootstrap.js';
import { demoSettings } from './demo-settings.js';

/** `apps/demo/config.yaml`, or `DEMO_CONFIG`. */
export const demoConfigPath = (): string =>
  process.env.DEMO_CONFIG ?? fileURLToPath(new URL('../config.yaml', import.meta.url));

/** The lock module's options from the YAML file (the seed's `lynx.redis` shape), validated by the library's loader. */
export async function loadDemoConfig(path = demoConfigPath()): Promise<RedisLockModuleOptions> {
  if (!existsSync(path)) throw new Error(`demo configuration not found: ${path}`);
  return loadYamlConfig(path);
}

/** The Redis address the file points at (tried after REDIS_URL). */
export function configuredRedisUrl(options: RedisLockModuleOptions): string | undefined {
  const first = options.addrs?.[0];
  if (!first) return undefined;
  return /^rediss?:\/\//.test(first) ? first : `redis://${first}`;
}

/**
 * The options the demo passes to `RedisLockModule`: the file's settings without the connection,
 * which is the backend found at start-up (the app's `@liaoliaots/nestjs-redis` client, added by
 * the module, or the memory store).
 */
export function lockOptionsFor(backend: DemoBackend, fromFile: RedisLockModuleOptions): RedisLockModuleOptions {
  const { addrs: _addrs, password: _password, username: _username, db: _db, ...rest } = fromFile;
  const common = { ...rest, instanceId: demoSettings.instanceId };
  return backend.kind === 'redis' ? common : { ...common, store: new MemoryLockStore() };
}
