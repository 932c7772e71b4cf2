import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const demoMain = fileURLToPath(new URL('../../apps/demo/dist/main.js', import.meta.url));
const libEntry = fileURLToPath(new URL('../../libs/redis-lock/dist/esm/index.js', import.meta.url));
const libHealth = fileURLToPath(new URL('../../libs/redis-lock/dist/esm/health/index.js', import.meta.url));
const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

/**
 * Compiles the demo (apps/demo → apps/demo/dist) against the built library, building the library
 * first when its dist is missing (`npm test` builds it before the tests).
 */
export async function buildDemo(): Promise<void> {
  if (!existsSync(libEntry) || !existsSync(libHealth)) {
    await run('npm', ['run', 'build'], { cwd: repoRoot, timeout: 120_000 });
  }
  await run(process.execPath, [tsc, '-p', 'apps/demo/tsconfig.app.json'], { cwd: repoRoot, timeout: 120_000 });
}
