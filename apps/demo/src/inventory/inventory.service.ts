import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { LockService, WithLock, currentLock } from '@lynx-nest/redis-lock';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { demoSettings, itemIds } from '../demo-settings.js';

/** Where the stock of one item lives. */
export const stockKey = (itemId: string) => `demo:stock:${itemId}`;
/** Hash item → units reserved successfully (across every instance). */
export const RESERVED_KEY = 'demo:reserved';
/** Counter of successful reservations (across every instance). */
export const RESERVATIONS_KEY = 'demo:reservations';

/** Result of {@link InventoryService.reserve}. */
export interface Reservation {
  ok: boolean;
  itemId: string;
  qty: number;
  /** Stock after the call. */
  stock: number;
  /** Why it failed (`insufficient`). */
  reason?: string;
  /** Fencing token of the lock the reservation ran under. */
  fence?: number;
  /** The instance that served it. */
  instance: string;
}

/**
 * The inventory: stock per item in Redis, changed by a read-modify-write that is NOT atomic on its
 * own (GET, think, SET). The lock on `stock:<item>` is what makes overselling impossible, also
 * across instances.
 */
@Injectable()
export class InventoryService implements OnApplicationBootstrap {
  constructor(
    @Inject(DEMO_STORE) private readonly store: DemoStore,
    private readonly locks: LockService,
  ) {}

  /** Seeds the stock once (the first instance to start does it; the others see it). */
  async onApplicationBootstrap(): Promise<void> {
    await this.locks.withLock('stock:seed', async () => {
      if ((await this.store.get(stockKey(itemIds()[0]))) === undefined) await this.reset();
    });
  }

  /** Sets every item back to the initial stock and clears the counters. */
  async reset(stock = demoSettings.initialStock): Promise<Record<string, number>> {
    if (!Number.isInteger(stock) || stock < 0 || stock > 1e9)
      throw new BadRequestException('stock must be an integer from 0 to 1e9');
    for (const id of itemIds()) await this.store.set(stockKey(id), stock);
    await this.store.del(RESERVED_KEY, RESERVATIONS_KEY);
    return this.stock();
  }

  /** Stock of every item. */
  async stock(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      itemIds().map(async (id) => [id, (await this.store.get(stockKey(id))) ?? 0] as const),
    );
    return Object.fromEntries(entries);
  }

  /** Units reserved per item and the number of successful reservations, as recorded in Redis. */
  async reserved(): Promise<{ units: Record<string, number>; reservations: number }> {
    return {
      units: await this.store.hgetall(RESERVED_KEY),
      reservations: (await this.store.get(RESERVATIONS_KEY)) ?? 0,
    };
  }

  /**
   * Takes `qty` units of `itemId` when that many are left. `@WithLock('stock:{0}')` holds the lock
   * `stock:<itemId>` around the read-modify-write, across every instance; callers that find it
   * busy wait (woken on release) for up to 20 s.
   */
  @WithLock('stock:{0}', { ttl: '5s', maxRetries: -1, maxElapsedTime: '20s' })
  async reserve(itemId: string, qty: number): Promise<Reservation> {
    const lock = currentLock(); // the held lock: fencing token and signal
    const stock = (await this.store.get(stockKey(itemId))) ?? 0;
    const base = { itemId, qty, fence: await lock?.getFence(), instance: demoSettings.instanceId };
    if (stock < qty) return { ...base, ok: false, stock, reason: 'insufficient' };
    await new Promise((resolve) => setImmediate(resolve)); // the window an unlocked version would oversell in
    lock?.signal.throwIfAborted(); // never write after the lock was lost
    await this.store.set(stockKey(itemId), stock - qty);
    await this.store.hincrBy(RESERVED_KEY, itemId, qty);
    await this.store.incrBy(RESERVATIONS_KEY, 1);
    return { ...base, ok: true, stock: stock - qty };
  }

  /**
   * Moves `qty` units from one item to another under both items' locks, taken together (all or
   * none, in one canonical order, so two opposite transfers cannot deadlock).
   */
  @WithLock(['stock:{0}', 'stock:{1}'], { ttl: '5s', maxRetries: -1, maxElapsedTime: '20s' })
  async transfer(
    from: string,
    to: string,
    qty: number,
  ): Promise<{ ok: boolean; stock: Record<string, number>; reason?: string; instance: string }> {
    const a = (await this.store.get(stockKey(from))) ?? 0;
    const b = (await this.store.get(stockKey(to))) ?? 0;
    if (a < qty)
      return { ok: false, reason: 'insufficient', stock: { [from]: a, [to]: b }, instance: demoSettings.instanceId };
    await this.store.set(stockKey(from), a - qty);
    await this.store.set(stockKey(to), b + qty);
    return { ok: true, stock: { [from]: a - qty, [to]: b + qty }, instance: demoSettings.instanceId };
  }

  /** Input checks, done before the lock is taken (the controller calls it). */
  check(itemId: string, qty: number): void {
    if (!itemIds().includes(itemId))
      throw new NotFoundException(`unknown item "${itemId}" (items are item-1 … item-${demoSettings.items})`);
    if (!Number.isInteger(qty) || qty < 1 || qty > 1000)
      throw new BadRequestException('qty must be an integer from 1 to 1000');
  }
}
