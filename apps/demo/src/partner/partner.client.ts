import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { LockService, WithSemaphore, currentLock } from '@lynx-nest/redis-lock';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { Occupancy } from '../data/occupancy.js';
import { pause } from '../demo-hold.js';
import { demoSettings } from '../demo-settings.js';

/** The semaphore that limits calls to the (pretend) partner API, over every instance. */
export const PARTNER_SEMAPHORE = 'partner-api';
/** Calls the partner allows at once. */
export const PARTNER_PERMITS = 2;
/** How many partner calls are in flight now (all instances; never more than {@link PARTNER_PERMITS}). */
export const PARTNER_IN_FLIGHT_KEY = 'demo:partner:in-flight';

/** A quote from the partner, and what the call saw while it held its permit. */
export interface PartnerQuote {
  id: string;
  /** A made-up price, the same for the same id. */
  price: number;
  /** `'semaphore'` (`currentLock().kind`). */
  kind: string;
  /** Permits this call held (`currentLock().permits`). */
  permits: number;
  /** Fencing token of the holding (each holding gets a new, higher one). */
  fence: number;
  /** Most calls seen in flight at once while this one was (itself included). */
  inFlight: number;
  instance: string;
}

/**
 * A client of a partner API that allows {@link PARTNER_PERMITS} calls at once, shared by every
 * instance: `@WithSemaphore('partner-api', { permits: 2, onLocked: 'throw' })`. A call that finds
 * both permits taken does not run and rejects with `LockAcquireTimeoutError`, which the demo's
 * `LockExceptionFilter` answers with **429 Too Many Requests** (`code: 'timeout'`). With `onLocked: 'wait'`
 * (the default) it would queue instead, first come first served.
 *
 * @example
 * const quote = await partner.quote('sku-1', 200); // or LockAcquireTimeoutError when 2 calls are in flight
 */
@Injectable()
export class PartnerClient {
  private readonly inFlight: Occupancy;

  constructor(
    @Inject(DEMO_STORE) store: DemoStore,
    private readonly locks: LockService,
  ) {
    this.inFlight = new Occupancy(store, PARTNER_IN_FLIGHT_KEY);
  }

  /** Asks the partner for a quote; the call takes `latencyMs` (the partner's latency). */
  @WithSemaphore(PARTNER_SEMAPHORE, { permits: PARTNER_PERMITS, onLocked: 'throw', ttl: '10s' })
  async quote(id: string, latencyMs: number): Promise<PartnerQuote> {
    const permit = currentLock()!;
    const atEntry = await this.inFlight.enter();
    try {
      await pause(latencyMs, permit.signal);
      return {
        id,
        price: priceOf(id),
        kind: permit.kind,
        permits: permit.permits,
        fence: await permit.getFence(),
        inFlight: Math.max(atEntry, await this.inFlight.count()),
        instance: demoSettings.instanceId,
      };
    } finally {
      await this.inFlight.leave();
    }
  }

  /** The semaphore now: its permits and how many are free (`Semaphore.available()`). */
  async usage(): Promise<{ name: string; permits: number; available: number; instance: string }> {
    const semaphore = this.locks.semaphore(PARTNER_SEMAPHORE, { permits: PARTNER_PERMITS });
    return {
      name: semaphore.name,
      permits: semaphore.permits,
      available: await semaphore.available(),
      instance: demoSettings.instanceId,
    };
  }

  /** Input check, done before a permit is taken (the controller calls it). */
  check(id: string): void {
    if (!/^[\w.-]{1,64}$/.test(id)) {
      throw new BadRequestException('id must be 1 to 64 letters, digits, ".", "_" or "-"');
    }
  }
}

/** A made-up price from 1.00 to 99.99, the same for the same id. */
function priceOf(id: string): number {
  let h = 7;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 9_973;
  return (100 + (h % 9_900)) / 100;
}
