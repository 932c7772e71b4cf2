import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockAcquireTimeoutError } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { DEMO_STORE, MemoryDemoStore } from '../data/demo-store.js';
import { PartnerClient } from '../partner/partner.client.js';
import { CatalogReportService } from './catalog-report.service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The demo's read-write lock and semaphore services, unit-tested without Redis: LockTestingModule
// runs them on the in-memory store (the same permit contract as Redis).
describe('CatalogReportService and PartnerClient with LockTestingModule (no Redis)', () => {
  let moduleRef: TestingModule;
  let catalog: CatalogReportService;
  let partner: PartnerClient;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot({ instanceId: 'unit-test' })],
      providers: [CatalogReportService, PartnerClient, { provide: DEMO_STORE, useValue: new MemoryDemoStore() }],
    }).compile();
    await moduleRef.init();
    catalog = moduleRef.get(CatalogReportService);
    partner = moduleRef.get(PartnerClient);
  });

  afterEach(() => moduleRef.close());

  it('reports share the read lock and see one version; a refresh runs alone', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => catalog.report(60)),
      catalog.refresh(20),
      ...Array.from({ length: 4 }, () => catalog.report(60)),
    ]);
    const [refresh] = answers.filter((a) => a.kind === 'write');
    const reports = answers.filter((a) => a.kind === 'read');
    expect(reports).toHaveLength(8);
    expect(refresh).toMatchObject({ version: 1, readersInside: 0, writersInside: 1 });
    for (const report of reports) expect(report).toMatchObject({ writersInside: 0, consistent: true });
    expect(Math.max(...reports.map((r) => r.readersInside))).toBeGreaterThan(1);
    // writer-preferring: the reports asked for after the refresh ran after it and saw its version
    expect(reports.slice(4).every((r) => r.version === 1 && r.fence === refresh.fence)).toBe(true);
    expect(refresh.fence).toBeGreaterThan(Math.max(...reports.slice(0, 4).map((r) => r.fence)));
  });

  it('a third concurrent partner call is refused at once; at most 2 are in flight', async () => {
    const first = partner.quote('a', 400);
    const second = partner.quote('b', 400);
    void Promise.allSettled([first, second]); // awaited below; no unhandled rejection if the test fails first
    for (let i = 0; (await partner.usage()).available > 0; i++) {
      if (i > 100) throw new Error('the two calls never held their permits');
      await sleep(5);
    }
    await expect(partner.quote('c', 0)).rejects.toBeInstanceOf(LockAcquireTimeoutError);
    const quotes = await Promise.all([first, second]);
    for (const quote of quotes) expect(quote).toMatchObject({ kind: 'semaphore', permits: 1 });
    // the later entrant sees both in flight; the earlier one's figure depends on who leaves first
    expect(Math.max(...quotes.map((q) => q.inFlight))).toBe(2);
    for (const quote of quotes) expect(quote.inFlight).toBeLessThanOrEqual(2);
    expect((await partner.usage()).available).toBe(2);
    expect(await partner.quote('c', 0)).toMatchObject({ id: 'c', inFlight: 1 });
  });
});
