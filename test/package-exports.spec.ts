import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('libs/redis-lock/package.json', root), 'utf8'));

/** Runs a snippet in a plain Node process from the repository root (real package resolution, built files). */
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('the built package', () => {
  it('loads with import', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "const m = await import('@lynx-nest/redis-lock'); console.log(typeof m.RedisLockModule, typeof m.LockService, typeof m.LockBackendError)",
    ]);
    expect(out).toBe('function function function');
  });

  it('loads with require from the CommonJS build, which uses no import.meta', () => {
    const script =
      "const m = require('@lynx-nest/redis-lock'); " +
      "console.log(require.resolve('@lynx-nest/redis-lock'), typeof m.LockService, typeof m.MemoryLockStore)";
    const out = node(['-e', script]);
    expect(out).toMatch(/dist\/cjs\/index\.js function function$/);
    const cjsDir = new URL('libs/redis-lock/dist/cjs/', root);
    expect(JSON.parse(readFileSync(new URL('package.json', cjsDir), 'utf8'))).toEqual({ type: 'commonjs' });
    const usesImportMeta = (f: string) =>
      f.endsWith('.js') && readFileSync(new URL(f, cjsDir), 'utf8').includes('import.meta');
    const users = readdirSync(cjsDir, { recursive: true, encoding: 'utf8' }).filter(usesImportMeta);
    expect(users).toEqual([]);
  });

  it('both builds in one process share one lock-service registry, one lock context and one set of metrics', () => {
    const out = JSON.parse(node(['test/fixtures/dual-load.mjs']));
    expect(out.files[0]).toMatch(/dist\/esm\/index\.js$/);
    expect(out.files[1]).toMatch(/dist\/cjs\/index\.js$/);
    expect(out.twoCopies).toBe(true); // really two copies of the classes...
    expect(out.withLockError).toBeUndefined(); // ...yet @WithLock of the CommonJS copy found the ESM copy's service
    expect(out.heldKey).toBe('job:dual'); // and currentLock() of one copy sees the lock the other holds
    expect(out.sameMetricObjects).toBe(true);
    expect(out.metricNames).toHaveLength(15);
    expect(new Set(out.metricNames).size).toBe(out.metricNames.length);
    expect(out.acquisitionsSeries).toBe(1); // the one acquisition was counted once
  });

  it('has an exports entry for every subpath: ESM for import, CommonJS for require, each with its own types', () => {
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target === 'string') continue;
      const t = target as Record<string, Record<string, string>>;
      const dir = subpath === '.' ? '' : `${subpath.slice(2)}/`;
      for (const [condition, build] of [
        ['import', 'esm'],
        ['require', 'cjs'],
      ]) {
        const want = { types: `./dist/${build}/${dir}index.d.ts`, default: `./dist/${build}/${dir}index.js` };
        expect(t[condition], `${subpath} ${condition}`).toEqual(want);
      }
      if (dir) expect(pkg.typesVersions['*'][dir.slice(0, -1)], subpath).toEqual([`./dist/cjs/${dir}index.d.ts`]);
    }
    // every subpath loads, through import and through require (one process each: Nest is slow to load)
    const specs = Object.keys(pkg.exports)
      .filter((s) => s !== './package.json')
      .map((s) => (s === '.' ? '@lynx-nest/redis-lock' : `@lynx-nest/redis-lock/${s.slice(2)}`));
    const list = JSON.stringify(specs);
    const importAll = `for (const s of ${list}) console.log(s, Object.keys(await import(s)).length > 0)`;
    const imported = node(['--input-type=module', '-e', importAll]);
    const required = node(['-e', `for (const s of ${list}) console.log(s, Object.keys(require(s)).length > 0)`]);
    const expected = specs.map((s) => `${s} true`).join('\n');
    expect(imported).toBe(expected);
    expect(required).toBe(expected);
  });

  it('declares an ioredis peer range that accepts 5 and 6', () => {
    expect(pkg.peerDependencies.ioredis).toBe('^5.0.0 || ^6.0.0');
  });

  it('declares Nest peers that accept 11 and 12', () => {
    expect(pkg.peerDependencies['@nestjs/common']).toContain('^12.0.0');
    expect(pkg.peerDependencies['@nestjs/core']).toContain('^11.0.0');
    expect(pkg.type).toBe('module');
  });
});
