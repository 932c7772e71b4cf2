import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// What `npm pack` puts in the tarball of @lynx-nest/redis-lock (against the built dist).

const pkgDir = fileURLToPath(new URL('../libs/redis-lock/', import.meta.url));
const SUBPATHS = ['', 'health/', 'metrics/', 'testing/'];

/** Every path of the tarball, relative to the package directory. */
let files: string[];

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, encoding: 'utf8' });
  const [report] = JSON.parse(out) as [{ name: string; files: { path: string }[] }];
  expect(report.name).toBe('@lynx-nest/redis-lock');
  files = report.files.map((f) => f.path).sort();
}, 60_000);

describe('the npm tarball', () => {
  it('has the README, LICENSE (MIT), CHANGELOG and package.json', () => {
    for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json']) expect(files, f).toContain(f);
    expect(readFileSync(join(pkgDir, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 The lynx-nest authors\n/);
    expect(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).license).toBe('MIT');
    expect(readFileSync(join(pkgDir, 'CHANGELOG.md'), 'utf8')).toMatch(/## Unreleased[\s\S]*## 0\.1\.0/);
  });

  it('has both builds: index files and types of every entry point, and the CommonJS marker', () => {
    for (const dir of SUBPATHS) {
      for (const build of ['esm', 'cjs']) {
        for (const ext of ['js', 'd.ts', 'js.map']) expect(files, `${build} ${dir}`).toContain(`dist/${build}/${dir}index.${ext}`);
      }
    }
    expect(files).toContain('dist/cjs/package.json');
    // the two builds hold the same modules
    const modules = (build: string) => files.filter((f) => f.startsWith(`dist/${build}/`) && f.endsWith('.js')).map((f) => f.slice(`dist/${build}/`.length));
    expect(modules('cjs')).toEqual(modules('esm'));
  });

  it('holds only those files, the sources the maps point at, and no test or build leftovers', () => {
    const allowed = [
      /^(README\.md|LICENSE|CHANGELOG\.md|package\.json)$/,
      /^dist\/(esm|cjs)\/[\w./-]+\.(js|js\.map|d\.ts)$/,
      /^dist\/cjs\/package\.json$/,
      /^src\/[\w./-]+\.ts$/,
    ];
    for (const f of files) expect(allowed.some((re) => re.test(f)), f).toBe(true);
    for (const f of files) {
      expect(f, f).not.toMatch(/\.(spec|e2e-spec|test)\.ts$|(^|\/)(test|tests|__tests__)\//);
      expect(f, f).not.toMatch(/^(dist\.next|dist\.old|scripts|node_modules)\/|tsconfig/);
    }
    expect(files.filter((f) => f.startsWith('src/')).length).toBeGreaterThan(50);
  });

  it('ships every source a source map names, so the maps resolve', () => {
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(100);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(pkgDir, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = normalize(join(dirname(map), source));
        expect(files, `${map} → ${source}`).toContain(target);
        expect(existsSync(join(pkgDir, target)), target).toBe(true);
      }
    }
  });
});
