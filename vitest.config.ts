import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./libs/redis-lock/src/${p}`, import.meta.url));

export default defineConfig({
  // Nest's constructor injection needs legacy decorators with emitted metadata; a wrong key here
  // silently disables it (test/decorator-metadata.spec.ts fails if that happens).
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  resolve: {
    alias: [
      { find: /^@lynx-nest\/redis-lock\/(health|metrics|testing|dashboard)$/, replacement: src('$1/index.ts') },
      { find: /^@lynx-nest\/redis-lock$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    // test/consumers/: apps with their own installs and runners (scripts/ci/consumers.sh).
    exclude: ['**/node_modules/**', '**/dist/**', 'test/faults/**', 'test/consumers/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
