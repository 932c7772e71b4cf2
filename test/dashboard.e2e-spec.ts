import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError, RedisLockModule } from '@lynx-nest/redis-lock';
import { RedisLockDashboardModule } from '@lynx-nest/redis-lock/dashboard';
import { CapturingLogger } from './support/capturing-logger.js';
import { launchChromium } from './support/chromium.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { ownerOf } from './support/lock-value.js';
import { closeClients, startRedisServer, type RedisServer } from './support/redis-server.js';

// RedisLockDashboardModule in an app that is not the demo: RedisLockModule.forRoot on a private
// redis-server, the dashboard at /admin/locks behind a guard that wants a header, and a second
// process (another Nest app) holding the locks the page must show.

const HEADER = 'x-lock-admin';
const SECRET = 'let-me-in';
const HOSTILE = '<img src=x onerror="window.__xss = 1">';

/** The guard of the test app: the request must carry `x-lock-admin: let-me-in`. */
@Injectable()
class HeaderGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers[HEADER] === SECRET;
  }
}

/** Builds, starts and listens (loopback, free port) an HTTP app with `imports`; returns it and its base URL. */
async function listen(imports: ModuleMetadata['imports'], logger?: CapturingLogger, prefix?: string) {
  const builder = Test.createTestingModule({ imports });
  if (logger) builder.setLogger(logger);
  const app = (await builder.compile()).createNestApplication({ logger: logger ?? false });
  if (prefix) app.setGlobalPrefix(prefix);
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

const lockModule = (redis: RedisServer, instanceId: string) =>
  RedisLockModule.forRoot({ addrs: [redis.url], instanceId, monitoring: { healthCheckInterval: 0 } });

describe('RedisLockDashboardModule in a test app, behind a guard', () => {
  let redis: RedisServer;
  let app: INestApplication;
  let url: string;
  let holder: LockApp;
  let browser: Browser | undefined;
  const logger = new CapturingLogger();
  const admin = { headers: { [HEADER]: SECRET } };

  beforeAll(async () => {
    redis = await startRedisServer();
    ({ app, url } = await listen(
      [
        lockModule(redis, 'dash-app'),
        RedisLockDashboardModule.forRoot({ path: '/admin/locks', guard: HeaderGuard, refreshInterval: '250ms' }),
      ],
      logger,
    ));
    holder = await createLockApp({ addrs: [redis.url], instanceId: 'dash-holder' });
  }, 30_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await holder?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    closeClients();
    await redis?.stop();
  }, 30_000);

  it('refuses the page and its JSON without the header (403), and logs no "no guard" warning', async () => {
    for (const path of ['/admin/locks', '/admin/locks/', '/admin/locks/state']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).not.toContain('dash-app');
    }
    expect((await fetch(`${url}/admin/locks/state`, { headers: { [HEADER]: 'wrong' } })).status).toBe(403);
    expect(logger.lines.filter((l) => l.text.includes('has no guard'))).toEqual([]);
  });

  it('answers with the header: the page as HTML under its CSP, the locks and statistics as JSON', async () => {
    const page = await fetch(`${url}/admin/locks`, admin);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'sha256-");
    expect(await page.text()).toContain('<table id="locks">');

    const lock = await holder.locks.acquire('dash:json', '20s');
    try {
      const res = await fetch(`${url}/admin/locks/state`, admin);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { locks: { ttlMs: number }[] } & Record<string, unknown>;
      expect(body).toMatchObject({
        instance: 'dash-app',
        service: 'default',
        store: 'redis',
        topology: 'single',
        refreshMs: 250,
        limit: 200,
      });
      expect(body.locks).toEqual([
        {
          key: 'dash:json',
          kind: 'mutex',
          held: true,
          owner: 'dash-holder',
          heldByThisInstance: false,
          holdCount: 1,
          ttlMs: expect.any(Number),
          fence: lock.fence,
          waiters: 0,
        },
      ]);
      expect(body.locks[0].ttlMs).toBeGreaterThan(15_000);
      expect(body.statistics).toMatchObject({ activeLocks: 0, totalAcquired: 0, windowMs: 60_000 });
      // owner tokens (read from Redis itself) never leave the server
      const client = redis.client();
      const values = await Promise.all((await client.keys('*dash:json*')).map((k) => client.get(k).catch(() => null)));
      const owners = values.map(ownerOf).filter((o): o is string => o !== null);
      expect(owners).toHaveLength(1);
      expect(JSON.stringify(body)).not.toContain(owners[0]);
    } finally {
      await lock.release();
    }
  });

  it('in Chromium with the header: a lock the test takes shows (owner, TTL, fence) until released', async () => {
    browser = await launchChromium();
    const refused = await browser.newPage();
    expect((await refused.goto(`${url}/admin/locks`))?.status()).toBe(403);
    await refused.close();

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.setExtraHTTPHeaders({ [HEADER]: SECRET });
    expect((await page.goto(`${url}/admin/locks`))?.status()).toBe(200);
    await page.waitForSelector('#instance:not(:empty)');
    expect(await page.textContent('#instance')).toBe('dash-app');

    const lock = await holder.locks.acquire('dash:browser', '30s', { fence: true }); // a minted fence is shown
    const hostile = await holder.locks.acquire(HOSTILE, '30s');
    const row = page.locator('tr[data-key="dash:browser"]');
    await row.waitFor({ state: 'visible', timeout: 5_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('dash:browser');
    expect(cells[1]).toBe('mutex');
    expect(cells[2]).toBe('dash-holder');
    expect(cells[3]).toMatch(/^(2\d|30) s$/);
    expect(cells[4]).toBe('1');
    expect(cells[5]).toBe(String(lock.fence));
    const width = await row
      .locator('.bar > span')
      .evaluate((n) => parseFloat((n as unknown as { style: { width: string } }).style.width));
    expect(width).toBeGreaterThan(60);
    // The second lock was taken after the first: a refresh may have come between the two.
    await expect.poll(() => page.locator('#locks td.key').allTextContents(), { timeout: 5_000 }).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();

    await lock.release();
    await hostile.release();
    await row.waitFor({ state: 'detached', timeout: 5_000 });
    await page.waitForSelector('td.empty', { timeout: 5_000 });
    expect(await page.locator('tr[data-key]').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 30_000);

  it('lists read-write locks and semaphores beside the mutex of a name: readers, writer, permits, waiters', async () => {
    const mutex = await holder.locks.acquire('dash:kinds', '20s');
    const read = await holder.locks.acquire('dash:kinds', '20s', { mode: 'read' });
    const permits = await holder.locks.semaphore('dash:kinds', { permits: 3 }).acquire(2, { ttl: '20s' });
    try {
      const body = (await (await fetch(`${url}/admin/locks/state`, admin)).json()) as {
        locks: { key: string; kind: string }[];
      };
      const kinds = body.locks.filter((l) => l.key === 'dash:kinds');
      expect(kinds.map((l) => l.kind)).toEqual(['mutex', 'read-write', 'semaphore']);
      expect(kinds[1]).toMatchObject({ owner: 'dash-holder', readers: 1, writer: false, waiters: 0, holdCount: 1 });
      expect(kinds[2]).toMatchObject({ owner: 'dash-holder', permits: { limit: 3, used: 2, free: 1 }, waiters: 0 });
      expect(JSON.stringify(body)).not.toContain(read.getValue());
      expect(JSON.stringify(body)).not.toContain(permits.getValue());

      browser ??= await launchChromium();
      const page = await browser.newPage();
      await page.setExtraHTTPHeaders({ [HEADER]: SECRET });
      await page.goto(`${url}/admin/locks`);
      const row = (kind: string) => page.locator(`tr[data-key="dash:kinds"][data-kind="${kind}"] td`);
      await row('semaphore').first().waitFor({ timeout: 5_000 });
      expect((await row('read-write').allTextContents()).slice(1, 3)).toEqual(['read-write', 'dash-holder']);
      expect((await row('read-write').allTextContents()).slice(6)).toEqual(['1 reader', '0']);
      expect((await row('semaphore').allTextContents()).slice(6)).toEqual(['2 used · 1 free (of 3)', '0']);
      expect((await row('mutex').allTextContents())[6]).toBe('');
      await page.close();
    } finally {
      await Promise.all([mutex.release(), read.release(), permits.release()]);
    }
  }, 30_000);

  it('answers 503, quickly, while the redis-server is down', async () => {
    await redis.stop();
    const started = Date.now();
    const res = await fetch(`${url}/admin/locks/state`, admin);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(((await res.json()) as { message: string }).message).toMatch(/Redis lock backend failed/);
  }, 20_000);
});

describe('RedisLockDashboardModule wiring', () => {
  let redis: RedisServer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    closeClients();
    await redis?.stop();
  }, 30_000);

  it('forRootAsync with a guard instance, mounted at the root under a global prefix', async () => {
    const guard = { canActivate: (c: ExecutionContext) => c.switchToHttp().getRequest().headers[HEADER] === SECRET };
    const { app, url } = await listen(
      [
        lockModule(redis, 'dash-async'),
        RedisLockDashboardModule.forRootAsync({ path: '/', guard, useFactory: async () => ({ limit: 1 }) }),
      ],
      undefined,
      'api',
    );
    apps.push(app);
    expect((await fetch(`${url}/api`)).status).toBe(403);
    expect((await fetch(`${url}/api`, { headers: { [HEADER]: SECRET } })).status).toBe(200);
    const body = await (await fetch(`${url}/api/state`, { headers: { [HEADER]: SECRET } })).json();
    expect(body).toMatchObject({ instance: 'dash-async', limit: 1, refreshMs: 1000, locks: [] });
  });

  it('without a guard it serves anyone and logs a warning that lock names are visible', async () => {
    const logger = new CapturingLogger();
    const dashboard = RedisLockDashboardModule.forRoot({ path: 'locks-page' });
    const { app, url } = await listen([lockModule(redis, 'dash-open'), dashboard], logger);
    apps.push(app);
    expect((await fetch(`${url}/locks-page/state`)).status).toBe(200);
    const warnings = logger.lines.filter((l) => l.level === 'warn' && l.context === 'RedisLockDashboard');
    const warning = '/locks-page has no guard: anyone who can reach it sees every lock name';
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining(warning)]);
  });

  it('fails start-up with InvalidLockOptionsError naming `service` when that lock module does not exist', async () => {
    const module = Test.createTestingModule({
      imports: [lockModule(redis, 'dash-named'), RedisLockDashboardModule.forRoot({ path: 'x', service: 'billing' })],
    });
    const error = await module
      .compile()
      .then((m) => m.init())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as InvalidLockOptionsError).problems.map((p) => p.path)).toEqual(['service']);
  });
});
