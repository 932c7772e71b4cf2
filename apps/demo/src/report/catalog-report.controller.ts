import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { parseHoldMs } from '../demo-hold.js';
import { CatalogReportService } from './catalog-report.service.js';

/**
 * The catalog report (read lock) and its refresh (write lock) over HTTP:
 * - `GET /report/catalog?holdMs=0`: the catalog as one version; reports run together;
 * - `POST /report/catalog/refresh?holdMs=0`: rewrites every row; runs alone, after the reports
 *   that hold the lock, and before reports that arrive while it waits.
 * A caller that waited 20 s gets 409 (`LockExceptionFilter`).
 */
@Controller('report/catalog')
export class CatalogReportController {
  constructor(private readonly catalog: CatalogReportService) {}

  /** The report, built under the shared read lock. */
  @Get()
  report(@Query('holdMs') holdMs?: string) {
    return this.catalog.report(parseHoldMs(holdMs));
  }

  /** A new catalog version, written under the exclusive write lock. */
  @Post('refresh')
  @HttpCode(200)
  refresh(@Query('holdMs') holdMs?: string) {
    return this.catalog.refresh(parseHoldMs(holdMs));
  }
}
