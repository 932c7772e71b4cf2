import 'reflect-metadata';
import { createServer } from 'node:net';
import { startDemoCluster, type DemoCluster } from './cluster-runner.js';
import { configuredRedisUrl, loadDemoConfig } from './demo-config.js';
import { resolveDemoBackend, type DemoBackend } from './redis-bootstrap.js';

// `npm run demo:load [-- --requests=600 --concurrency=60 --max-qty=3 --keep-stock]`: fires
// concurrent reservations at every running demo instance (DEMO_URLS=url,url,… or the ports of
// demo:cluster, 3001-3003, or demo's 3000), round robin, with a progress bar; then prints the
// final stock, the successful reservations, and whether they agree. With no instance running it
// starts three for the run (on a private redis-server) and stops them afterwards.

const arg = (name: string, fallback: number) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = hit ? Number(hit.split('=')[1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const requests = arg('requests', 600);
const concurrency = arg('concurrency', 60);
const maxQty = arg('max-qty', 3);
const keepStock = process.argv.includes('--keep-stock');
const tty = process.stdout.isTTY === true;

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/inventory`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function findTargets(): Promise<{ urls: string[]; cluster?: DemoCluster; backend?: DemoBackend }> {
  const listed = process.env.DEMO_URLS?.split(',')
    .map((u) => u.trim().replace(/\/$/, ''))
    .filter(Boolean);
  for (const group of listed
    ? [listed]
    : [[3001, 3002, 3003].map((p) => `http://127.0.0.1:${p}`), ['http://127.0.0.1:3000']]) {
    const up = (await Promise.all(group.map(async (url) => ((await answers(url)) ? url : undefined)))).filter(
      (u): u is string => !!u,
    );
    if (up.length) return { urls: up };
  }
  if (listed) throw new Error(`none of DEMO_URLS answers: ${listed.join(', ')}`);
  console.log('No demo instance is running: starting three for this run (npm run demo:cluster keeps them up).');
  const backend = await resolveDemoBackend(configuredRedisUrl(await loadDemoConfig()));
  if (backend.kind !== 'redis')
    throw new Error('demo:load needs Redis to run several instances: install redis-server or set REDIS_URL');
  const ports: number[] = [];
  for (let port = 3101; ports.length < 3 && port < 3200; port++) if (await portFree(port)) ports.push(port);
  const cluster = await startDemoCluster({ redisUrl: backend.url, ports, output: () => undefined });
  return { urls: cluster.urls, cluster, backend };
}

function bar(done: number, total: number, counts: Record<string, number>): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const tally = Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}  ${tally}`;
}

async function main(): Promise<number> {
  const { urls, cluster, backend } = await findTargets();
  try {
    console.log(`Targets: ${urls.join(', ')}`);
    if (!keepStock)
      await fetch(`${urls[0]}/inventory/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    const before = (await (await fetch(`${urls[0]}/inventory`)).json()) as {
      stock: Record<string, number>;
      reservations: number;
    };
    const items = Object.keys(before.stock);
    const counts = { reserved: 0, 'sold out': 0, busy: 0, errors: 0 };
    const reservedUnits: Record<string, number> = Object.fromEntries(items.map((i) => [i, 0]));
    let next = 0;
    let done = 0;
    let lastPrinted = -1;
    const started = performance.now();
    const report = () => {
      if (tty) process.stdout.write(`\r${bar(done, requests, counts)}`);
      else if (Math.floor((done / requests) * 10) > lastPrinted) {
        lastPrinted = Math.floor((done / requests) * 10);
        console.log(bar(done, requests, counts));
      }
    };
    const worker = async () => {
      while (next < requests) {
        const n = next++;
        const item = items[Math.floor(Math.random() * items.length)];
        const qty = 1 + Math.floor(Math.random() * maxQty);
        try {
          const res = await fetch(`${urls[n % urls.length]}/inventory/${item}/reserve?qty=${qty}`, { method: 'POST' });
          const body = (await res.json()) as { ok?: boolean };
          if (res.status === 200 && body.ok) {
            counts.reserved++;
            reservedUnits[item] += qty;
          } else if (res.status === 200) counts['sold out']++;
          else if (res.status === 409) counts.busy++;
          else counts.errors++;
        } catch {
          counts.errors++;
        }
        done++;
        report();
      }
    };
    report();
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
    if (tty) process.stdout.write('\n');
    const seconds = (performance.now() - started) / 1000;
    const after = (await (await fetch(`${urls[0]}/inventory`)).json()) as {
      stock: Record<string, number>;
      reservations: number;
    };

    console.log(
      `\n${requests} requests over ${urls.length} instance(s) in ${seconds.toFixed(1)} s (${(requests / seconds).toFixed(0)}/s), ${concurrency} at a time`,
    );
    console.log('item        before  reserved  expected  final  ok');
    let agree = true;
    for (const item of items) {
      const expected = before.stock[item] - reservedUnits[item];
      const ok = after.stock[item] === expected && after.stock[item] >= 0;
      agree &&= ok;
      console.log(
        `${item.padEnd(10)} ${String(before.stock[item]).padStart(7)} ${String(reservedUnits[item]).padStart(9)} ${String(expected).padStart(9)} ${String(after.stock[item]).padStart(6)}  ${ok ? 'yes' : 'NO'}`,
      );
    }
    const serverCount = after.reservations - before.reservations;
    const countsAgree = serverCount === counts.reserved;
    agree &&= countsAgree;
    console.log(
      `successful reservations: ${counts.reserved} seen by this script, ${serverCount} recorded by the servers${countsAgree ? '' : '  (MISMATCH)'}`,
    );
    console.log(
      `final stock ${Object.values(after.stock).reduce((a, b) => a + b, 0)} units; sold out ${counts['sold out']}, busy ${counts.busy}, errors ${counts.errors}`,
    );
    console.log(
      agree
        ? 'AGREE: final stock = initial stock − successful reservations, never negative.'
        : 'DISAGREE: stock and reservations do not match.',
    );
    return agree && counts.errors === 0 ? 0 : 1;
  } finally {
    await cluster?.stop();
    backend?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`demo:load failed: ${error.message}`);
    process.exit(2);
  },
);
