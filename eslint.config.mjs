// ESLint 9 flat config: typescript-eslint's recommended rules for the TypeScript sources and tests,
// plus the three type-aware rules that catch promise mistakes (a lock released without `await`, an
// async callback where a sync one is expected, `await` on a non-promise); ESLint's recommended rules
// for the plain .mjs/.js scripts (bench, fault suite, CI helpers). The full type-checked presets cost
// ~4x the time on 2 cores and mostly flag `any` in tests, so they are not on.
// Formatting is Prettier's job (see .prettierrc.json), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/dist.next/**',
      '**/dist.old/**',
      'bench/.lib/**',
      'coverage/**',
      'docs/api/**',
      'test-results/**',
      // Consumer apps under test/consumers/ are separate projects with their own configs.
      'test/consumers/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_`-prefixed names are the convention for parameters a signature needs but the body ignores.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The demo page's inline script runs in the browser.
    files: ['apps/demo/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
