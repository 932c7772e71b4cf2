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
};
const lock = (key: string, extra: object = {}) => ({
  key,
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
      { key: SCRIPTED, cells: [SCRIPTED, HOSTILE, expect.stringMatching(/^2\d s$/), '1', '', '0'] },
      { key: HOSTILE, cells: [HOSTILE, 'host:1', expect.stringMatching(/^2\d s$/), '1', '7', '0'] },
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
