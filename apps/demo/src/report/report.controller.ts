import { Controller, Get, Inject } from '@nestjs/common';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { REPORT_LOG_KEY, REPORT_RUNS_KEY, type ReportRun } from './report.job.js';

/** `GET /report`: the newest runs of the locked cron job and the number of runs per tick. */
@Controller('report')
export class ReportController {
  constructor(@Inject(DEMO_STORE) private readonly store: DemoStore) {}

  @Get()
  async runs() {
    const recent = (await this.store.list(REPORT_LOG_KEY, 20)).map((line) => JSON.parse(line) as ReportRun);
    return { recent, runsPerTick: await this.store.hgetall(REPORT_RUNS_KEY) };
  }
}
