import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Nest's constructor injection needs legacy decorators with emitted metadata (as in the
  // repository's root vitest.config.ts).
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
