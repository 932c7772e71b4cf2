import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = fileURLToPath(new URL('../libs/redis-lock/dist/esm/', import.meta.url));

/** A resolve hook that makes `@opentelemetry/api` impossible to find, as in an app that never installed it. */
const hideOtel = `export async function resolve(specifier, context, next) {
  if (specifier === '@opentelemetry/api' || specifier.startsWith('@opentelemetry/api/')) {
    const error = new Error("Cannot find package '@opentelemetry/api'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
const register = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hideOtel)}));`;

const script = `import 'reflect-metadata';
const missing = await import('@opentelemetry/api').then(() => 'loaded', (error) => error.code);
const { LockService, MemoryLockStore, resolveModuleOptions } = await import(${JSON.stringify(`${dist}index.js`)});
const { otelApiReady } = await import(${JSON.stringify(`${dist}tracing/otel-api.loader.js`)});
const locks = new LockService(resolveModuleOptions({ monitoring: { healthCheckInterval: 0 } }), new MemoryLockStore());
await locks.onModuleInit();
locks.onApplicationBootstrap();
const value = await locks.withLock('k', async () => 42);
const busy = await locks.withLock('k', () => locks.tryLock('k', '1s', { reentrant: false }).catch((e) => e.code));
const handle = await locks.acquire('j', '1s');
const released = await handle.release();
await locks.onApplicationShutdown();
const api = (await otelApiReady) === undefined ? 'absent' : 'present';
console.log(JSON.stringify({ missing, api, value, busy, released }));`;

describe('without @opentelemetry/api installed', () => {
  it('the package root loads, locks work and nothing throws (built dist, the peer made unresolvable)', () => {
    expect(existsSync(`${dist}index.js`), 'run npm run build first').toBe(true);
    const hook = `data:text/javascript,${encodeURIComponent(register)}`;
    const run = spawnSync(process.execPath, ['--import', hook, '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result).toEqual({ missing: 'ERR_MODULE_NOT_FOUND', api: 'absent', value: 42, busy: null, released: true });
  });
});
