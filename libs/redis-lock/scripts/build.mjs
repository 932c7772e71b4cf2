// Builds both module systems into dist.next and swaps it in atomically, so a running test or demo
// never sees a half-written dist:
//   dist/esm  ES modules for `import` (tsconfig.lib.json), types next to them
//   dist/cjs  CommonJS for `require` (tsconfig.cjs.json), with {"type":"commonjs"} and its own .d.ts
// Source maps point at ../src, which the package ships (package.json "files").
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const at = (p) => join(pkg, p);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compile = (project, outDir) => execFileSync(process.execPath, [tsc, '-p', at(project), '--outDir', at(outDir)], { stdio: 'inherit' });

/** Every file under `dir` (relative paths). */
const walk = (dir, prefix = '') =>
  readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, join(prefix, e.name)) : [join(prefix, e.name)]));

rmSync(at('dist.next'), { recursive: true, force: true });
try {
  compile('tsconfig.lib.json', 'dist.next/esm');
  compile('tsconfig.cjs.json', 'dist.next/cjs');
} catch {
  rmSync(at('dist.next'), { recursive: true, force: true });
  process.exit(1);
}
writeFileSync(at('dist.next/cjs/package.json'), '{\n  "type": "commonjs"\n}\n');

// CommonJS cannot parse import.meta: a use that slipped into the sources fails the build, not the app.
const metaUsers = walk(at('dist.next/cjs')).filter((f) => f.endsWith('.js') && readFileSync(at(join('dist.next/cjs', f)), 'utf8').includes('import.meta'));
if (metaUsers.length > 0) {
  console.error(`build: the CommonJS build uses import.meta in ${metaUsers.join(', ')}`);
  rmSync(at('dist.next'), { recursive: true, force: true });
  process.exit(1);
}

rmSync(at('dist.old'), { recursive: true, force: true });
if (existsSync(at('dist'))) renameSync(at('dist'), at('dist.old'));
renameSync(at('dist.next'), at('dist'));
rmSync(at('dist.old'), { recursive: true, force: true });
