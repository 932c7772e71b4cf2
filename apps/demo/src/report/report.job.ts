import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { WithLock, currentLock } from '@lynx-nest/redis-lock';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { demoSettings } from '../demo-settings.js';
import { InventoryService } from '../inventory/inventory.service.js';

/** Hash unix second → runs of the report that started in that second, over every instance. */
export const REPORT_RUNS_KEY = 'demo:report:runs';
/** The newest report runs (JSON lines). */
export const REPORT_LOG_KEY = 'demo:report:log';

/** One run of the report, as recorded in Redis. */
export interface ReportRun {
  tick: number;
  at: number;
  instance: string;
  fence?: number;
  totalStock: number;
}

/**
 * A scheduled job that every instance schedules and only one runs per tick (the ShedLock use
 * case): `onLocked: 'skip'` makes the others return at once, and `lockAtLeastFor` keeps the lock
 * after a fast run so an instance whose timer fires a little late does not run the same tick again.
 */
@Injectable()
export class ReportJob {
  private readonly logger = new Logger('ReportJob');

  constructor(
    @Inject(DEMO_STORE) private readonly store: DemoStore,
    private readonly inventory: InventoryService,
  ) {}

  /** Every instance's scheduler fires; one instance runs, the others skip (counted in `totalSkipped`). */
  @Cron(demoSettings.reportCron, { name: 'inventory-report' })
  @WithLock('job:report', { onLocked: 'skip', lockAtMostFor: '1m', lockAtLeastFor: demoSettings.reportLockAtLeast })
  async report(): Promise<ReportRun | undefined> {
    const stock = await this.inventory.stock();
    const run: ReportRun = {
      tick: Math.floor(Date.now() / 1000),
      at: Date.now(),
      instance: demoSettings.instanceId,
      fence: await currentLock()?.getFence(), // minted on this first use
      totalStock: Object.values(stock).reduce((a, b) => a + b, 0),
    };
    await this.store.hincrBy(REPORT_RUNS_KEY, String(run.tick), 1);
    await this.store.pushCapped(REPORT_LOG_KEY, JSON.stringify(run), 50);
    this.logger.debug(`report: ${run.totalStock} units in stock (fence ${run.fence})`);
    return run;
  }
}
