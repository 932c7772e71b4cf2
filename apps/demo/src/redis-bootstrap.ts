import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Logger } from '@nestjs/common';

/** Where the demo's locks live. */
export type DemoBackend =
  { kind: 'redis'; url: string; stop: () => void; private: boolean } | { kind: 'memory'; stop: () => void };

const logger = new Logger('DemoBootstrap');

function ping(url: string, timeoutMs = 700): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(/^[+-]/.test(d.toString())));
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''), () => socket.write('PING\r\n'));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The first executable `redis-server` on PATH, or undefined. */
function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Finds a Redis for the demo: `REDIS_URL` (or the configured address) when it answers; otherwise a
 * private `redis-server` on a free port, stopped when the demo exits; otherwise (no binary) the
 * in-memory store, with a warning.
 */
export async function resolveDemoBackend(configured?: string): Promise<DemoBackend> {
  const candidate = process.env.REDIS_URL || configured;
  if (candidate && (await ping(candidate))) {
    logger.log(`Using Redis at ${new URL(candidate).host}`);
    return { kind: 'redis', url: candidate, stop: () => undefined, private: false };
  }
  if (process.env.REDIS_URL) logger.warn('REDIS_URL does not answer');
  else if (candidate) logger.log(`No Redis answers at ${new URL(candidate).host} (config.yaml)`);
  const binary = findRedisServer();
  if (!binary) {
    logger.warn(
      'No reachable Redis and no redis-server binary: running on the IN-MEMORY store (locks are per process). Install redis-server or set REDIS_URL.',
    );
    return { kind: 'memory', stop: () => undefined };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lynx-lock-demo-'));
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await ping(url)); i++) await new Promise((r) => setTimeout(r, 50));
  logger.log(`Started a private redis-server on port ${port} (pid ${child.pid}); it stops with the demo`);
  return { kind: 'redis', url, stop, private: true };
}
