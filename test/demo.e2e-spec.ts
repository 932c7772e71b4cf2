import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDemoCluster, type DemoCluster } from '../apps/demo/src/cluster-runner.js';
import { launchChromium } from './support/chromium.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { buildDemo, demoMain, repoRoot } from './support/demo-build.js';
import { closeClients, freePort, startRedisServer, type RedisServer } from './support/redis-server.js';

// The demo application end to end: a private redis-server, three demo instances as child
// processes, and what a user of the demo sees (HTTP API, cron job, read-write lock and semaphore
// endpoints, /health, /metrics, live page).

const ITEMS = 10;
const INITIAL = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Untyped by default: each test asserts the fields of the demo's reply it reads, which fails on a wrong shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the demo: three instances on one private redis-server', () => {
  let redis: RedisServer;
  let cluster: DemoCluster;
  let browser: Browser | undefined;
  let holder: LockApp | undefined;
  const logs: string[] = [];
  /** HTTP status of every reservation of the load test (for the metrics cross-check). */
  let reservationsAnswered = 0;

  beforeAll(async () => {
    await buildDemo();
    redis = await startRedisServer();
    const ports = [await freePort(), await freePort(), await freePort()];
    cluster = await startDemoCluster({
      redisUrl: redis.url,
      ports,
      mainScript: demoMain,
      env: {
        // a tick every 2 s; the lock outlives a run by up to 1 s: a margin of 1 s against timers firing late
        REPORT_CRON: '*/2 * * * * *',
        REPORT_LOCK_AT_LEAST: '1s',
        DEMO_ITEMS: String(ITEMS),
        DEMO_INITIAL_STOCK: String(INITIAL),
        REDIS_ADDR: '127.0.0.1:1', // never the machine's own Redis, whatever happens to REDIS_URL
      },
      output: (line) => logs.push(line),
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await holder?.close().catch(() => undefined);
    // Graceful when Redis is still up; the last test stops Redis, so then kill at once.
    if (redis?.running) await cluster?.stop();
    else await cluster?.kill();
    closeClients();
    await redis?.stop();
  }, 30_000);

  it('600 concurrent reservations for 10 items over 3 instances: stock = initial − successes, never negative', async () => {
    const reset = await json(`${cluster.urls[0]}/inventory/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stock: INITIAL }),
    });
    expect(reset.status).toBe(200);

    const requests = Array.from({ length: 600 }, (_, n) => ({
      item: `item-${(n % ITEMS) + 1}`,
      qty: 1 + (n % 3),
      url: cluster.urls[n % 3],
    }));
    const answers = await Promise.all(
      requests.map(async (r) => ({
        ...r,
        ...(await json(`${r.url}/inventory/${r.item}/reserve?qty=${r.qty}`, { method: 'POST' })),
      })),
    );

    // 200 = served under the lock (ok, or refused for lack of stock); 409 = lock busy past the wait limit.
    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 409);
    expect(unexpected.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    const served = answers.filter((a) => a.status === 200);
    reservationsAnswered = served.length;
    const successes = served.filter((a) => a.body.ok === true);
    const refused = served.filter((a) => a.body.ok === false);
    expect(successes.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0); // demand (≈1200 units) exceeds supply (1000): stock runs out
    expect(refused.every((a) => a.body.reason === 'insufficient')).toBe(true);
    // every instance served some
    expect(new Set(successes.map((a) => a.body.instance)).size).toBe(3);

    const after = await json<{ stock: Record<string, number>; units: Record<string, number>; reservations: number }>(
      `${cluster.urls[1]}/inventory`,
    );
    for (let i = 1; i <= ITEMS; i++) {
      const item = `item-${i}`;
      const units = successes.filter((a) => a.item === item).reduce((sum, a) => sum + a.qty, 0);
      expect(after.body.stock[item], item).toBe(INITIAL - units);
      expect(after.body.stock[item], item).toBeGreaterThanOrEqual(0);
      expect(after.body.units[item] ?? 0, item).toBe(units);
      // each success ran under its own ownership of the item's lock: distinct fencing tokens
      const fences = successes.filter((a) => a.item === item).map((a) => a.body.fence);
      expect(new Set(fences).size, item).toBe(fences.length);
    }
    expect(after.body.reservations).toBe(successes.length);
    // the reported stock in each answer never went below zero either
    expect(served.every((a) => a.body.stock >= 0)).toBe(true);
  }, 60_000);

  it('transfers between two items under a multi-key lock keep the total', async () => {
    const before = await json<{ stock: Record<string, number> }>(`${cluster.urls[0]}/inventory`);
    const total = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);
    // opposite directions at once, on all instances: a per-key ordering bug would deadlock here
    const moves = Array.from({ length: 30 }, (_, n) => ({
      from: n % 2 ? 'item-1' : 'item-2',
      to: n % 2 ? 'item-2' : 'item-1',
      qty: 1,
    }));
    const answers = await Promise.all(
      moves.map((m, n) =>
        json(`${cluster.urls[n % 3]}/inventory/transfer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(m),
        }),
      ),
    );
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const after = await json<{ stock: Record<string, number> }>(`${cluster.urls[0]}/inventory`);
    expect(total(after.body.stock)).toBe(total(before.body.stock));
    const moved = answers.reduce((net, a, n) => (a.body.ok ? net + (moves[n].from === 'item-1' ? -1 : 1) : net), 0);
    expect(after.body.stock['item-1']).toBe(before.body.stock['item-1'] + moved);
  }, 30_000);

  it('the @Cron + @WithLock(onLocked: skip) report runs once per tick over the three instances', async () => {
    const client = redis.client();
    const PERIOD = 2; // seconds, REPORT_CRON above
    const firstTick = Math.ceil(Date.now() / 1000 / PERIOD); // the next tick to fire: wholly inside the window
    await sleep(8_500);
    const lastTick = Math.floor(Date.now() / 1000 / PERIOD) - 1;
    // runs per tick: a run that starts late (up to a period) still belongs to the tick that fired it
    const runs = new Map<number, number>();
    for (const [second, count] of Object.entries(await client.hgetall('demo:report:runs'))) {
      const tick = Math.floor(Number(second) / PERIOD);
      runs.set(tick, (runs.get(tick) ?? 0) + Number(count));
    }
    // never twice in one tick, over the whole run (including during the load test)
    expect([...runs].filter(([, count]) => count > 1)).toEqual([]);
    // and once in every tick of the quiet window
    const window = Array.from({ length: lastTick - firstTick + 1 }, (_, i) => firstTick + i);
    expect(window.length).toBeGreaterThanOrEqual(3);
    expect(window.map((tick) => runs.get(tick) ?? 0)).toEqual(window.map(() => 1));
    // the other two instances skipped each of those ticks (counted by statistics)
    const skipped = await Promise.all(
      cluster.urls.map(async (url) => (await json(`${url}/locks`)).body.statistics.totalSkipped as number),
    );
    expect(skipped.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * window.length);
  }, 20_000);

  it('GET /metrics lists the lynx_redis_lock_* metrics with counts that match the requests', async () => {
    const texts = await Promise.all(cluster.urls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
    for (const name of [
      'lynx_redis_lock_acquisitions_total',
      'lynx_redis_lock_releases_total',
      'lynx_redis_lock_errors_total',
      'lynx_redis_lock_duration_seconds',
      'lynx_redis_lock_active',
      'lynx_redis_lock_retries_total',
      'lynx_redis_lock_renewals_total',
      'lynx_redis_lock_expirations_total',
      'lynx_redis_lock_skips_total',
    ]) {
      expect(texts[0], name).toContain(`# TYPE ${name} `);
    }
    const value = (text: string, series: string) =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    // every served reservation took the lock once (the label is the decorator's Class.method)
    const acquired = texts.reduce(
      (sum, t) => sum + value(t, 'lynx_redis_lock_acquisitions_total{name="InventoryService.reserve",kind="mutex"}'),
      0,
    );
    expect(acquired).toBe(reservationsAnswered);
    const skips = texts.reduce(
      (sum, t) => sum + value(t, 'lynx_redis_lock_skips_total{name="ReportJob.report",kind="mutex"}'),
      0,
    );
    expect(skips).toBeGreaterThan(0);
  });

  it('acquire / renew / release by hand, checked against the fencing token', async () => {
    const [a] = cluster.urls;
    const taken = await json(`${a}/locks/e2e:manual?ttl=10s`, { method: 'POST' });
    expect(taken.status).toBe(201);
    expect(taken.body.fence).toBeGreaterThan(0);
    expect(taken.body.ttlMs).toBeGreaterThan(8_000);
    const stale = await json(`${a}/locks/e2e:manual?fence=${taken.body.fence - 1}`, { method: 'DELETE' });
    expect(stale.status).toBe(409);
    const renewed = await json(`${a}/locks/e2e:manual/renew?fence=${taken.body.fence}&ttl=20s`, { method: 'POST' });
    expect(renewed.status).toBe(200);
    expect(renewed.body.ttlMs).toBeGreaterThan(15_000);
    const listed = await json(`${cluster.urls[2]}/locks`);
    expect(listed.body.locks).toContainEqual(
      expect.objectContaining({
        key: 'e2e:manual',
        owner: cluster.instances[0].id,
        fence: taken.body.fence,
        holdCount: 1,
      }),
    );
    const released = await json(`${a}/locks/e2e:manual?fence=${taken.body.fence}`, { method: 'DELETE' });
    expect(released.status).toBe(200);
    expect(released.body.released).toBe(true);
    expect((await json(`${a}/locks`)).body.locks.map((l: { key: string }) => l.key)).not.toContain('e2e:manual');
  });

  /** The test's own lock client on the demo's Redis (same key prefix as the demo), created once. */
  async function testLocks(): Promise<LockApp> {
    holder ??= await createLockApp({ addrs: [redis.url], instanceId: 'e2e-test' });
    return holder;
  }

  it('GET /report/catalog under a read lock: concurrent reports overlap over the three instances', async () => {
    const reports = await Promise.all(
      Array.from({ length: 6 }, (_, n) => json(`${cluster.urls[n % 3]}/report/catalog?holdMs=600`)),
    );
    expect(reports.map((r) => r.status)).toEqual(reports.map(() => 200));
    for (const report of reports) {
      expect(report.body).toMatchObject({ kind: 'read', writersInside: 0, consistent: true });
    }
    expect(new Set(reports.map((r) => r.body.instance)).size).toBe(3);
    // readers share the lock: some report saw others inside with it
    expect(Math.max(...reports.map((r) => r.body.readersInside as number))).toBeGreaterThan(1);
    // no writer minted in between: every reader shares the current token
    expect(new Set(reports.map((r) => r.body.fence)).size).toBe(1);
  }, 30_000);

  it('POST /report/catalog/refresh under the write lock runs alone, with a token above every earlier one', async () => {
    const before = (await json(`${cluster.urls[0]}/report/catalog`)).body;
    const isWriter = (n: number) => n % 3 === 2;
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, n) =>
        isWriter(n)
          ? json(`${cluster.urls[n % 3]}/report/catalog/refresh?holdMs=150`, { method: 'POST' })
          : json(`${cluster.urls[n % 3]}/report/catalog?holdMs=150`),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const writers = answers.filter((_, n) => isWriter(n)).map((a) => a.body);
    const readers = answers.filter((_, n) => !isWriter(n)).map((a) => a.body);
    for (const w of writers) expect(w).toMatchObject({ kind: 'write', readersInside: 0, writersInside: 1 });
    for (const r of readers) expect(r).toMatchObject({ kind: 'read', writersInside: 0, consistent: true });
    // each refresh's time under the lock overlaps nobody else's
    const sections = answers.map((a) => a.body as { kind: string; fence: number; startedAt: number; endedAt: number });
    for (const w of sections.filter((s) => s.kind === 'write')) {
      const overlapping = sections.filter((s) => s !== w && s.startedAt < w.endedAt && w.startedAt < s.endedAt);
      expect(overlapping).toEqual([]);
    }
    expect(writers.map((w) => w.version as number).sort((x, y) => x - y)).toEqual(
      [1, 2, 3].map((i) => before.version + i),
    );
    // tokens in the order the sections ran: never down, and each writer's above everything before it
    const inOrder = [...sections].sort((x, y) => x.startedAt - y.startedAt);
    let highest = before.fence as number;
    for (const section of inOrder) {
      if (section.kind === 'write') expect(section.fence).toBeGreaterThan(highest);
      else expect(section.fence).toBeGreaterThanOrEqual(highest);
      highest = Math.max(highest, section.fence);
    }
    const after = (await json(`${cluster.urls[1]}/report/catalog`)).body;
    expect(after).toMatchObject({ version: before.version + 3, consistent: true, fence: highest });
  }, 30_000);

  it('a waiting refresh holds back reports that come after it (writer-preferring), which then see its version', async () => {
    const [a, b, c] = cluster.urls;
    const { locks } = await testLocks();
    const client = redis.client();
    const queued = () => client.zcard('lynx:lock:{catalog}:rw:q'); // the read-write lock's queue (docs/read-write-and-semaphores.md)
    const reader = await locks.acquire('catalog', '20s', { mode: 'read' });
    let refresh: Promise<{ status: number; body: Record<string, number> }> | undefined;
    let late: typeof refresh;
    const done = new Set<string>();
    try {
      // a report shares the read lock with the test's reader, and its token
      const shared = await json(`${a}/report/catalog`);
      expect(shared.status).toBe(200);
      expect(shared.body.fence).toBe(reader.fence);
      refresh = json(`${b}/report/catalog/refresh`, { method: 'POST' }).finally(() => done.add('refresh'));
      await until('the refresh to queue', async () => (await queued()) === 1);
      late = json(`${c}/report/catalog`).finally(() => done.add('late report'));
      await until('the late report to queue behind it', async () => (await queued()) === 2);
      await sleep(200);
      expect([...done]).toEqual([]); // neither joined the test's read lock
    } finally {
      await reader.release();
    }
    const [written, report] = await Promise.all([refresh!, late!]);
    expect(written.status).toBe(200);
    expect(report.status).toBe(200);
    expect(written.body.fence).toBeGreaterThan(reader.fence!);
    expect(report.body).toMatchObject({ version: written.body.version, fence: written.body.fence, consistent: true });
    expect(report.body.startedAt).toBeGreaterThanOrEqual(written.body.endedAt);
  }, 30_000);

  it('GET /partner/quote/:id under @WithSemaphore(permits: 2, onLocked: throw): a third concurrent call gets 429', async () => {
    const [a, b, c] = cluster.urls;
    expect((await json(`${a}/partner`)).body).toMatchObject({ name: 'partner-api', permits: 2, available: 2 });
    const first = json(`${a}/partner/quote/sku-1?holdMs=4000`);
    const second = json(`${b}/partner/quote/sku-2?holdMs=4000`);
    await until('both permits in use', async () => (await json(`${c}/partner`)).body.available === 0);
    const third = await json(`${c}/partner/quote/sku-3`);
    expect(third.status).toBe(429); // LockAcquireTimeoutError of a semaphore through LockExceptionFilter
    expect(third.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      code: 'timeout',
      lock: 'partner-api',
    });
    const served = await Promise.all([first, second]);
    expect(served.map((s) => s.status)).toEqual([200, 200]);
    for (const s of served) expect(s.body).toMatchObject({ kind: 'semaphore', permits: 1 });
    // the later of the two enters while the earlier holds (4 s): it sees 2 in flight; the earlier may
    // count again only after the later one left, so its figure is 1 or 2
    expect(Math.max(...served.map((s) => s.body.inFlight as number))).toBe(2);
    for (const s of served) expect(s.body.inFlight).toBeLessThanOrEqual(2);
    expect(served[1].body.fence).not.toBe(served[0].body.fence); // each holding mints its own token
    await until('the permits to come back', async () => (await json(`${c}/partner`)).body.available === 2);
    expect((await json(`${c}/partner/quote/sku-3?holdMs=0`)).status).toBe(200);

    // a burst over the three instances: never more than 2 in flight, the rest refused (never queued, never 5xx)
    const burst = await Promise.all(
      Array.from({ length: 9 }, (_, n) => json(`${cluster.urls[n % 3]}/partner/quote/b-${n}?holdMs=300`)),
    );
    expect(burst.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    const ok = burst.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(Math.max(...ok.map((r) => r.body.inFlight as number))).toBeLessThanOrEqual(2);
  }, 30_000);

  it('the live page at / (the dashboard module) shows a held lock (key, owner, TTL), drops it on release', async () => {
    await testLocks();
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.goto(`${cluster.urls[0]}/`);
    await page.waitForSelector('#instance:not(:empty)');
    expect(await page.textContent('#instance')).toBe(cluster.instances[0].id);

    const lock = await holder!.locks.acquire('e2e:browser', '30s', { fence: true });
    const row = page.locator('tr[data-key="e2e:browser"]');
    await row.waitFor({ state: 'visible', timeout: 5_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('e2e:browser');
    expect(cells[1]).toBe('mutex');
    expect(cells[2]).toBe('e2e-test');
    expect(cells[3]).toMatch(/^(2\d|30) s$/); // TTL text of a 30 s lock, a second or two in
    expect(cells[5]).toBe(String(lock.fence));
    const ttl = Number(await row.getAttribute('data-ttl'));
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    // the TTL bar is drawn, and shrinks as the next polls arrive
    const width = async () =>
      Number((await row.locator('.bar > span').getAttribute('style'))?.match(/width:\s*([\d.]+)%/)?.[1]);
    const first = await width();
    expect(first).toBeGreaterThan(60);
    await until(
      'the TTL shown to drop on a later poll',
      async () => Number(await row.getAttribute('data-ttl')) < ttl,
      5_000,
    );
    const later = await width();
    expect(later).toBeLessThan(first);
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results', 'demo-live-page.png'), fullPage: true });

    await lock.release();
    await row.waitFor({ state: 'detached', timeout: 5_000 });
    expect(
      await page.locator('tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key'))),
    ).not.toContain('e2e:browser');
  }, 30_000);

  it('GET /health is 200 while Redis is up and 503 once the redis-server is stopped', async () => {
    const up = await json(`${cluster.urls[0]}/health`);
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.details['redis-lock']).toMatchObject({ status: 'up', store: 'redis', probe: 'ok' });

    await redis.stop();
    const down = await until('503 from /health', async () => {
      const res = await json(`${cluster.urls[1]}/health`);
      return res.status === 503 ? res : undefined;
    });
    expect(down.body.status).toBe('error');
    expect(down.body.details['redis-lock'].status).toBe('down');
    expect(typeof down.body.details['redis-lock'].reason).toBe('string');
    // a reservation now fails fast with 503 (backend down), not a hang or a 409 "busy"
    const started = Date.now();
    const reserve = await json(`${cluster.urls[2]}/inventory/item-1/reserve?qty=1`, { method: 'POST' });
    expect(reserve.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 20_000);
});

describe('demo start-up without a configured Redis', () => {
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    if (!existsSync(demoMain)) await buildDemo();
  }, 120_000);
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** Starts the demo with `env`, resolves once it listens (or fails with its output). */
  async function startDemo(
    env: Record<string, string>,
  ): Promise<{ child: ChildProcess; url: string; output: () => string; exit: Promise<number | null> }> {
    const port = await freePort();
    const child = spawn(process.execPath, [demoMain], {
      env: { ...process.env, FORCE_COLOR: '0', PORT: String(port), REDIS_URL: '', REDIS_ADDR: '127.0.0.1:1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    await until(
      `the demo on port ${port} (output so far: ${out})`,
      async () => child.exitCode === null && (await fetch(`${url}/locks`)).ok,
      20_000,
    );
    return { child, url, output: () => out, exit };
  }

  it('starts a private redis-server when neither REDIS_URL nor config.yaml answers, and stops it on SIGTERM', async () => {
    const demo = await startDemo({ REDIS_URL: 'redis://127.0.0.1:1' });
    const pid = Number(/redis-server on port \d+ \(pid (\d+)\)/.exec(demo.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    const listed = await json(`${demo.url}/locks`);
    expect(listed.body.backend).toBe('redis');
    const reserve = await json(`${demo.url}/inventory/item-3/reserve?qty=2`, { method: 'POST' });
    expect(reserve.body).toMatchObject({ ok: true, stock: 98 });
    demo.child.kill('SIGTERM');
    expect(await demo.exit).toBe(0);
    await until(
      'the private redis-server to exit',
      async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
    );
  }, 30_000);

  it('falls back to the memory store with a warning when there is no redis-server binary', async () => {
    // A PATH with no redis-server on it.
    const bin = mkdtempSync(join(tmpdir(), 'lynx-demo-path-'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    try {
      const demo = await startDemo({ PATH: bin });
      expect(demo.output()).toContain('IN-MEMORY store');
      expect((await json(`${demo.url}/locks`)).body.backend).toBe('memory');
      const reserve = await json(`${demo.url}/inventory/item-1/reserve?qty=1`, { method: 'POST' });
      expect(reserve.body).toMatchObject({ ok: true, stock: 99 });
      expect((await json(`${demo.url}/health`)).status).toBe(200);
      demo.child.kill('SIGTERM');
      expect(await demo.exit).toBe(0);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);
});
