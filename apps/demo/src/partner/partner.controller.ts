import { Controller, Get, Param, Query } from '@nestjs/common';
import { parseHoldMs } from '../demo-hold.js';
import { PartnerClient } from './partner.client.js';

/** Partner latency when `?holdMs=` is not given, in ms. */
const DEFAULT_LATENCY_MS = 200;

/**
 * The rate-limited partner API over HTTP:
 * - `GET /partner/quote/:id?holdMs=200`: one of the 2 permits of the semaphore `partner-api` for the
 *   call; a third concurrent call (on any instance) gets **429** at once;
 * - `GET /partner`: the semaphore's permits and how many are free now.
 */
@Controller('partner')
export class PartnerController {
  constructor(private readonly partner: PartnerClient) {}

  /** The semaphore's permits and free permits. */
  @Get()
  usage() {
    return this.partner.usage();
  }

  /** A quote, fetched while holding a permit (`holdMs` is the pretend partner's latency). */
  @Get('quote/:id')
  quote(@Param('id') id: string, @Query('holdMs') holdMs?: string) {
    this.partner.check(id);
    return this.partner.quote(id, parseHoldMs(holdMs, DEFAULT_LATENCY_MS));
  }
}
