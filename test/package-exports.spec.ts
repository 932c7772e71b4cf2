import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('libs/redis-lock/package.json', root), 'utf8'));

/** Runs a snippet in a plain Node process from the repository root (real package resolution, built files). */
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('the built package', () => {
  it('loads with import', () => {
    const out = node(['--input-type=module', '-e', "const m = await import('@lynx-nest/redis-lock'); console.log(typeof m.RedisLockModule, typeof m.LockService, typeof m.LockBackendError)"]);
    expect(out).toBe('function function function');
  });

  it('loads with require, as the same module instance as import', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/x.js'); const a = require('@lynx-nest/redis-lock'); const b = await import('@lynx-nest/redis-lock'); console.log(a.LockService === b.LockService, typeof a.MemoryLockStore)",
    ]);
    expect(out).toBe('true function');
  });

  it('has an exports entry for every subpath, each pointing at one built file for import and require', () => {
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target === 'string') continue;
      const t = target as Record<string, string>;
      expect(t.import, subpath).toBe(t.require);
      expect(t.import.startsWith('./dist/'), subpath).toBe(true);
      const spec = subpath === '.' ? '@lynx-nest/redis-lock' : `@lynx-nest/redis-lock/${subpath.slice(2)}`;
      expect(node(['--input-type=module', '-e', `const m = await import('${spec}'); console.log(Object.keys(m).length > 0)`]), spec).toBe('true');
    }
  });

  it('declares Nest peers that accept 11 and 12', () => {
    expect(pkg.peerDependencies['@nestjs/common']).toContain('^12.0.0');
    expect(pkg.peerDependencies['@nestjs/core']).toContain('^11.0.0');
    expect(pkg.type).toBe('module');
  });
});
