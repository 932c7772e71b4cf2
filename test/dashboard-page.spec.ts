import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PAGE_CSP, DASHBOARD_PAGE_HTML } from '@lynx-nest/redis-lock/dashboard';
import { launchChromium } from './support/chromium.js';

// The page alone in Chromium: no Nest, no Redis. Requests to a made-up origin are answered by
// Playwright, the page from the constant and its JSON from each test.

const ORIGIN = 'http://dashboard.test';
const HOSTILE = '<img src=x onerror="window.__xss = 1">';
const SCRIPTED = '</td><script>window.__xss = 2</script>';

const statistics = {
  activeLocks: 1,
  totalAcquired: 3,
  totalReleased: 2,
  totalFailed: 1,
  failuresByReason: { timeout: 1 },
  totalRetries: 4,
  totalRenewals: 0,
  totalRenewalErrors: 0,
  totalLost: 0,
  totalExpirations: 0,
  totalSkipped: 0,
  circuitBreaker: 'closed',
  totalCircuitBreakerOpens: 0,
  windowMs: 60_000,
  wait: { count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 },
  hold: { count: 0, avgMs: 0, p99Ms: 0, maxMs: 0 },
  recentErrorRate: 0,
  byKind: {
    mutex: { acquired: 2, released: 2, failed: 1, active: 0 },
    read: { acquired: 1, released: 0, failed: 0, active: 1 },
    write: { acquired: 0, released: 0, failed: 0, active: 0 },
    semaphore: { acquired: 0, released: 0, failed: 0, active: 0 },
  },
};
const lock = (key: string, extra: object = {}) => ({
  key,
  kind: 'mutex',
  held: true,
  owner: 'host:1',
  heldByThisInstance: true,
  holdCount: 1,
  ttlMs: 25_000,
  fence: 7,
  waiters: 0,
  ...extra,
});
const state = (locks: object[]) => ({
  instance: 'host:1',
  service: 'default',
  store: 'redis',
  topology: 'single',
  time: Date.now(),
  refreshMs: 200,
  limit: 200,
  locks,
  statistics,
});

describe('the dashboard page', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page at `/admin/locks`, answering its JSON requests with `answer()`; returns the URLs it asked for. */
  async function open(answer: () => object, csp = false): Promise<{ page: Page; asked: string[] }> {
    const page = await browser.newPage();
    const asked: string[] = [];
    await page.route(`${ORIGIN}/**`, (route) => {
      const url = route.request().url();
      if (url === `${ORIGIN}/admin/locks`) {
        const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
        if (csp) headers['content-security-policy'] = DASHBOARD_PAGE_CSP;
        return route.fulfill({ status: 200, headers, body: DASHBOARD_PAGE_HTML });
      }
      asked.push(url);
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(answer()) });
    });
    await page.goto(`${ORIGIN}/admin/locks`);
    return { page, asked };
  }

  it('shows names that contain markup as text, in the cell and the row attribute, and runs none of it', async () => {
    const locks = [lock(HOSTILE), lock(SCRIPTED, { fence: undefined, owner: HOSTILE })];
    const { page, asked } = await open(() => state(locks));
    await page.locator('tr[data-key]').nth(1).waitFor();
    const rows = await page.locator('#locks tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        key: tr.getAttribute('data-key'),
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
      })),
    );
    expect(rows).toEqual([
      { key: SCRIPTED, cells: [SCRIPTED, 'mutex', HOSTILE, expect.stringMatching(/^2\d s$/), '1', '', '', '0'] },
      { key: HOSTILE, cells: [HOSTILE, 'mutex', 'host:1', expect.stringMatching(/^2\d s$/), '1', '7', '', '0'] },
    ]);
    expect(await page.locator('img, #locks script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    // the JSON is asked for under the page's own path
    expect(asked[0]).toBe(`${ORIGIN}/admin/locks/state`);
    await page.close();
  });

  it('runs under its own CSP (script and style allowed by hash) and drops a lock on a later poll', async () => {
    let calls = 0;
    const { page } = await open(() => state(++calls >= 3 ? [] : [lock('job:report')]), true);
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.locator('tr[data-key="job:report"]').waitFor();
    expect(await page.textContent('#instance')).toBe('host:1');
    expect(await page.textContent('#store')).toBe('redis · single');
    expect(await page.locator('#stats .stat').count()).toBeGreaterThan(10);
    expect(await page.locator('#stats').textContent()).toContain('timeout 1');
    // the style applied: the stats grid is a grid, so the hashed <style> was not blocked
    expect(
      await page
        .locator('#stats')
        .evaluate(
          (n) =>
            (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(n)
              .display,
        ),
    ).toBe('grid');
    // the third poll lists nothing: the row leaves without a reload
    await page.locator('tr[data-key="job:report"]').waitFor({ state: 'detached', timeout: 3_000 });
    expect(await page.textContent('#locks tbody')).toBe('no locks held right now');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows each kind of a name on its own row: readers or writer, permits used and free, waiters', async () => {
    const holder = (owner: string, count: number) => ({
      owner,
      thisInstance: owner === 'host:1',
      count,
      holds: 1,
      ttlMs: 20_000,
      fence: 3,
    });
    const locks = [
      lock('catalog', {
        kind: 'semaphore',
        owner: undefined,
        heldByThisInstance: false,
        fence: 4,
        waiters: 2,
        permits: { limit: 4, used: 3, free: 1 },
        holders: [holder('api-2', 2), holder('api-3', 1)],
      }),
      lock('catalog', {
        kind: 'read-write',
        owner: undefined,
        holdCount: 2,
        fence: 3,
        waiters: 1,
        readers: 2,
        writer: false,
        holders: [holder('host:1', 1), holder('api-2', 1)],
      }),
      lock('catalog'),
      lock('report', {
        kind: 'read-write',
        owner: 'api-2',
        heldByThisInstance: false,
        fence: 9,
        readers: 0,
        writer: true,
        holders: [holder('api-2', 1_073_741_824)],
      }),
      lock('legacy', { kind: undefined }), // a server without kinds: shown as a mutex
    ];
    const { page } = await open(() => state(locks));
    await page.locator('tr[data-key="report"]').waitFor();
    const rows = await page.locator('#locks tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        kind: tr.getAttribute('data-kind'),
        mine: tr.className === 'mine',
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
      })),
    );
    const ttl = expect.stringMatching(/^2\d s$/);
    expect(rows).toEqual([
      { kind: 'mutex', mine: true, cells: ['catalog', 'mutex', 'host:1', ttl, '1', '7', '', '0'] },
      {
        kind: 'read-write',
        mine: true,
        cells: ['catalog', 'read-write', 'host:1, api-2', ttl, '2', '3', '2 readers', '1'],
      },
      {
        kind: 'semaphore',
        mine: false,
        cells: ['catalog', 'semaphore', 'api-2, api-3', ttl, '1', '4', '3 used · 1 free (of 4)', '2'],
      },
      { kind: 'mutex', mine: true, cells: ['legacy', 'mutex', 'host:1', ttl, '1', '7', '', '0'] },
      { kind: 'read-write', mine: false, cells: ['report', 'read-write', 'api-2', ttl, '1', '9', 'writer', '0'] },
    ]);
    expect(await page.locator('#stats').textContent()).toContain(
      'mutex 2 / 0 · read 1 / 1 · write 0 / 0 · semaphore 0 / 0',
    );
    await page.close();
  });

  it('says why when the JSON is refused', async () => {
    const page = await browser.newPage();
    await page.route(`${ORIGIN}/**`, (route) =>
      route.request().url().endsWith('/state')
        ? route.fulfill({ status: 403, contentType: 'application/json', body: '{"message":"Forbidden resource"}' })
        : route.fulfill({ status: 200, contentType: 'text/html', body: DASHBOARD_PAGE_HTML }),
    );
    await page.goto(`${ORIGIN}/ops/locks/`);
    await page.waitForSelector('#error:not(:empty)');
    expect(await page.textContent('#error')).toBe('HTTP 403: Forbidden resource');
    await page.close();
  });
});
