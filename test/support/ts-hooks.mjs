// Node module hooks that let child processes of the tests run the TypeScript sources directly
// (decorators in legacy mode with emitted metadata, like vitest.config.ts), without a build step.
// Used through `node --import ./test/support/ts-register.mjs worker.ts`.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'rolldown/utils';

const root = new URL('../../', import.meta.url);
const src = (p) => new URL(`libs/redis-lock/src/${p}`, root).href;
const aliases = new Map([
  ['@lynx-nest/redis-lock', src('index.ts')],
  ['@lynx-nest/redis-lock/testing', src('testing/index.ts')],
  ['@lynx-nest/redis-lock/health', src('health/index.ts')],
  ['@lynx-nest/redis-lock/metrics', src('metrics/index.ts')],
  ['@lynx-nest/redis-lock/dashboard', src('dashboard/index.ts')],
]);

export async function resolve(specifier, context, next) {
  const alias = aliases.get(specifier);
  if (alias) return { url: alias, shortCircuit: true };
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts') || !url.startsWith('file:')) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const out = transformSync(path, source, {
    lang: 'ts',
    sourceType: 'module',
    target: 'es2022',
    decorator: { legacy: true, emitDecoratorMetadata: true },
    // Helpers come from the `babelHelpers` global that ts-register.mjs defines (tslib's).
    helpers: { mode: 'External' },
    sourcemap: true,
  });
  if (out.errors?.length) throw new Error(`${path}: ${out.errors.map((e) => e.message).join('; ')}`);
  const map = out.map
    ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(out.map)).toString('base64')}`
    : '';
  return { format: 'module', source: out.code + map, shortCircuit: true };
}
