import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Options of {@link startDemoCluster}. */
export interface DemoClusterOptions {
  /** Redis every instance shares (`REDIS_URL` of the children). */
  redisUrl: string;
  /** HTTP ports, one instance each. @default [3001, 3002, 3003] */
  ports?: number[];
  /** The demo's entry script. @default main.js beside this file */
  mainScript?: string;
  /** Extra environment of every instance. */
  env?: Record<string, string>;
  /** Where the instances' output lines go (prefixed with the instance id). @default process.stdout */
  output?: (line: string) => void;
  /** How long to wait for every instance to answer `GET /locks`. @default 30000 */
  readyTimeoutMs?: number;
}

/** A running set of demo instances. */
export interface DemoCluster {
  urls: string[];
  instances: { id: string; port: number; url: string; process: ChildProcess }[];
  /** SIGTERM to every instance (graceful: locks released), SIGKILL after 10 s; resolves when all exited. */
  stop(): Promise<void>;
  /** SIGKILL to every instance; resolves when all exited. */
  kill(): Promise<void>;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function waitUntilUp(url: string, child: ChildProcess, deadline: number): Promise<void> {
  for (;;) {
    if (exited(child))
      throw new Error(`demo instance at ${url} exited during start-up (code ${child.exitCode ?? child.signalCode})`);
    try {
      const res = await fetch(`${url}/locks`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`demo instance at ${url} did not answer within the start-up timeout`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Starts one demo instance per port, all on the same Redis, and waits until each answers.
 *
 * @example
 * const cluster = await startDemoCluster({ redisUrl: 'redis://127.0.0.1:6399' });
 * // cluster.urls → ['http://127.0.0.1:3001', ...]
 * await cluster.stop();
 */
export async function startDemoCluster(options: DemoClusterOptions): Promise<DemoCluster> {
  const ports = options.ports ?? [3001, 3002, 3003];
  const main = options.mainScript ?? fileURLToPath(new URL('./main.js', import.meta.url));
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  const instances = ports.map((port) => {
    const id = `demo-${port}`;
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ...options.env,
        PORT: String(port),
        REDIS_URL: options.redisUrl,
        INSTANCE_ID: id,
        FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => output(`[${id}] ${line}`));
    }
    return { id, port, url: `http://127.0.0.1:${port}`, process: child };
  });
  const end = (signal: NodeJS.Signals) =>
    Promise.all(
      instances.map(
        ({ process: child }) =>
          new Promise<void>((resolve) => {
            if (exited(child)) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill(signal);
          }),
      ),
    ).then(() => undefined);
  const stop = () => end('SIGTERM');
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    await Promise.all(instances.map((instance) => waitUntilUp(instance.url, instance.process, deadline)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: instances.map((i) => i.url), instances, stop, kill: () => end('SIGKILL') };
}
