#!/usr/bin/env node
// Run by `npm test` (the `pretest` script) before anything is built: the tests start their own
// `redis-server` processes, make a TLS certificate with `openssl`, and drive a headless Chromium
// (test/demo.e2e-spec.ts). When one is missing, this installs it with apt-get where it can (as root
// with apt-get on PATH, as .ci/run does: quietly, time-bounded), otherwise it stops at once with
// exit code 1 and the exact command to run.
//
// Environment:
//   TEST_PREREQS_NO_INSTALL=1   never install, only check (and say what to run)
//   CHROMIUM_PATH=/path/to/bin  the browser to use instead of `chromium` on PATH (also read by the test)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const APT_UPDATE_TIMEOUT_MS = 3 * 60_000;
const APT_INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The first executable file called `name` in `env.PATH`, or undefined. */
export function findOnPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Chromium the browser test launches: `CHROMIUM_PATH` if set, else `chromium` on PATH. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  return findOnPath('chromium', env);
}

function isExecutable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian packages of the missing tools, in a stable order. */
function missingPackages(env) {
  const missing = [];
  if (!findOnPath('redis-server', env)) missing.push('redis-server');
  if (!findChromium(env)) missing.push('chromium');
  if (!findOnPath('openssl', env)) missing.push('openssl');
  return missing;
}

function aptGet(args, timeout, env) {
  const run = spawnSync(findOnPath('apt-get', env), args, {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout,
  });
  if (run.error || run.status !== 0) {
    const why = run.error?.code === 'ETIMEDOUT' ? `timed out after ${timeout / 1000} s` : `exit ${run.status}`;
    console.error(
      `test prerequisites: apt-get ${args[0]} failed (${why})${run.stderr ? `: ${run.stderr.trim()}` : ''}`,
    );
    return false;
  }
  return true;
}

/** Checks (and where it may, installs) the tools; returns the process exit code. */
export function ensureTestPrereqs(env = process.env) {
  let missing = missingPackages(env);
  if (missing.length === 0) return 0;

  const isRoot = process.getuid?.() === 0;
  const canInstall = env.TEST_PREREQS_NO_INSTALL !== '1' && isRoot && findOnPath('apt-get', env) !== undefined;
  if (canInstall) {
    console.log(`test prerequisites: installing ${missing.join(' ')} with apt-get (takes a minute or two)`);
    if (aptGet(['update', '-qq'], APT_UPDATE_TIMEOUT_MS, env)) {
      aptGet(['install', '-y', '-qq', ...missing], APT_INSTALL_TIMEOUT_MS, env);
    }
    missing = missingPackages(env);
    if (missing.length === 0) return 0;
  }

  const command = `${isRoot ? '' : 'sudo '}apt-get install -y ${missing.join(' ')}`;
  const lines = [
    `npm test needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed` +
      ' (the tests start their own redis-server processes and drive a headless Chromium).',
    `Install with (Debian/Ubuntu):  ${command}`,
    'Elsewhere install Redis >= 7 and Chromium; set CHROMIUM_PATH if Chromium is not on PATH as `chromium`.',
  ];
  if (env.CHROMIUM_PATH && missing.includes('chromium')) {
    lines.push(`CHROMIUM_PATH is set to ${env.CHROMIUM_PATH}, which is not an executable file.`);
  }
  console.error(lines.join('\n'));
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(ensureTestPrereqs());
