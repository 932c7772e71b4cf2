import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = 'scripts/ensure-test-prereqs.mjs';
const dirs: string[] = [];

/** An empty directory to use as the whole PATH: every binary is "missing". */
function emptyBin(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prereqs-'));
  dirs.push(dir);
  return dir;
}

/** An executable Node script at `dir/name`. */
function fakeBinary(dir: string, name: string, body = ''): void {
  writeFileSync(join(dir, name), `#!${process.execPath}\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** Runs the script as `npm test` does, with exactly `env` (no inherited PATH or CHROMIUM_PATH). */
function run(env: Record<string, string>) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', timeout: 20_000 });
  return { ...result, output: `${result.stdout}${result.stderr}`, ms: performance.now() - started };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/ensure-test-prereqs.mjs (run before npm test)', () => {
  it('stops within seconds with exit 1 and the apt-get command when redis-server and chromium are missing', () => {
    const result = run({ PATH: emptyBin(), TEST_PREREQS_NO_INSTALL: '1' });
    expect(result.status).toBe(1);
    expect(result.output).toContain('apt-get install -y redis-server chromium');
    // "Stops at once" is the requirement: a few seconds even on a loaded machine.
    expect(result.ms).toBeLessThan(5000);
  });

  it('passes silently when every binary is on PATH', () => {
    const bin = emptyBin();
    for (const name of ['redis-server', 'chromium', 'openssl']) fakeBinary(bin, name);
    const result = run({ PATH: bin, TEST_PREREQS_NO_INSTALL: '1' });
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('names only what is missing, and a CHROMIUM_PATH that points nowhere', () => {
    const bin = emptyBin();
    fakeBinary(bin, 'redis-server');
    fakeBinary(bin, 'openssl');
    fakeBinary(bin, 'chromium'); // on PATH, but CHROMIUM_PATH wins
    const result = run({ PATH: bin, TEST_PREREQS_NO_INSTALL: '1', CHROMIUM_PATH: join(bin, 'no-such-browser') });
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/apt-get install -y chromium$/m);
    expect(result.output).toContain(`CHROMIUM_PATH is set to ${join(bin, 'no-such-browser')}`);
  });

  it('installs with apt-get as root, and only tells a non-root user the sudo command', () => {
    // A fake apt-get that logs its arguments and, on `install`, puts the packages on PATH.
    const bin = emptyBin();
    const log = join(bin, 'apt.log');
    fakeBinary(
      bin,
      'apt-get',
      `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, process.argv.slice(2).join(' ') + '\\n');
if (process.argv[2] === 'install') for (const p of process.argv.slice(3).filter((a) => !a.startsWith('-'))) {
  fs.writeFileSync(${JSON.stringify(bin)} + '/' + p, '#!/bin/sh\\n', { mode: 0o755 });
}`,
    );
    fakeBinary(bin, 'openssl');
    const result = run({ PATH: bin });
    const calls = (() => {
      try {
        return readFileSync(log, 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    })();
    if (process.getuid?.() === 0) {
      expect(calls).toEqual(['update -qq', 'install -y -qq redis-server chromium']);
      expect(result.status).toBe(0);
    } else {
      expect(calls).toEqual([]);
      expect(result.status).toBe(1);
      expect(result.output).toContain('sudo apt-get install -y redis-server chromium');
    }
  });
});
