import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

/** A redis-server process this harness started (and only this harness stops). */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** Pid of the running process (changes on restart). */
  readonly pid: number;
  readonly url: string;
  readonly dir: string;
  /** Stop with SIGTERM (SIGKILL after 3 s) and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port (data is gone: no persistence unless args enable it). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT the server (a stalled server). */
  pause(): void;
  resume(): void;
  /** A new ioredis client for this server; closed by {@link closeClients} or the caller. */
  client(options?: RedisOptions): Redis;
  /** Whether the process is running. */
  readonly running: boolean;
}

const started = new Set<ChildProcess>();
const clients = new Set<Redis>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

let binary: string | undefined;
/** Path of redis-server, or a failure that says how to install it. */
export function redisServerBinary(): string {
  if (binary) return binary;
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    throw new Error(
      'redis-server is not installed: the tests start their own servers. Install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`.',
    );
  }
  binary = found;
  return found;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something on `port` answers a PING (PONG, NOAUTH or any reply counts). */
export async function waitForPing(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (data) => done(/^[+-]/.test(data.toString()) && !data.toString().startsWith('-LOADING')));
      socket.connect(port, host, () => socket.write('PING\r\n'));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Options of {@link startRedisServer}. */
export interface StartOptions {
  /** Extra redis-server arguments, e.g. ['--requirepass', 'x']. */
  args?: string[];
  /** Fixed port (default: a free one). */
  port?: number;
  /** Text of a config file written to the server's directory and passed as the first argument (Sentinel needs a writable one). */
  config?: string;
  /** Start in Sentinel mode (`--sentinel`); give the `sentinel monitor …` lines in `config`. */
  sentinel?: boolean;
  /** Readiness check instead of a plain-text PING on the port (e.g. a TLS handshake for `--tls-port`). */
  ready?: (port: number) => Promise<void>;
}

/**
 * Starts a private redis-server on a free loopback port with no persistence and returns its handle.
 *
 * @example
 * const redis = await startRedisServer();
 * afterAll(() => redis.stop());
 */
export async function startRedisServer(options: StartOptions = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'lynx-lock-redis-'));
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  if (options.config !== undefined) writeFileSync(join(dir, 'redis.conf'), options.config);

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const head =
        options.config !== undefined
          ? [join(dir, 'redis.conf'), ...(options.sentinel ? ['--sentinel'] : [])]
          : options.sentinel
            ? ['--sentinel']
            : [];
      const args = [
        ...head,
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        ...(options.args ?? []),
      ];
      const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      started.add(proc);
      let exited = false;
      proc.once('exit', () => {
        exited = true;
        started.delete(proc);
      });
      try {
        await Promise.race([
          options.ready ? options.ready(port) : waitForPing(port),
          new Promise((_, reject) =>
            proc.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} (port ${port})`))),
          ),
        ]);
        child = proc;
        return;
      } catch (error) {
        if (!exited) proc.kill('SIGKILL');
        if (attempt >= 3 || options.port !== undefined) throw error;
        port = await freePort(); // the port was taken in between; try another
      }
    }
  };

  const waitExit = (proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGCONT');
      proc.kill(signal);
    });

  await launch();
  const server: RedisServer = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    dir,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      await waitExit(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await waitExit(child, 'SIGKILL');
    },
    async restart() {
      await waitExit(child, 'SIGKILL');
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    client(clientOptions: RedisOptions = {}) {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        ...clientOptions,
      });
      client.on('error', () => undefined);
      clients.add(client);
      return client;
    },
  };
  return server;
}

/** Disconnects every client made by `server.client()`. */
export function closeClients(): void {
  for (const client of clients) client.disconnect();
  clients.clear();
}
