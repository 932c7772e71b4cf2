import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const demoDir = fileURLToPath(new URL('../apps/demo/', import.meta.url));

describe('the minimal demo (apps/demo)', () => {
  it('starts a private redis-server when REDIS_URL is unreachable, takes a lock reentrantly and exits cleanly', async () => {
    const { stdout } = await run('npm', ['start', '--silent'], {
      cwd: demoDir,
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' },
      timeout: 60_000,
    });
    expect(stdout).toContain('Started a private redis-server');
    expect(stdout).toMatch(/Holding "demo:hello" with fencing token \d+/);
    expect(stdout).toContain('hold count 2');
    expect(stdout).toMatch(/"totalAcquired":2,"totalReleased":2/);
  }, 90_000);
});
