import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockService } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { DEMO_STORE, MemoryDemoStore } from '../data/demo-store.js';
import { InventoryService, stockKey } from './inventory.service.js';

// A unit test of an app service that uses @WithLock, with no Redis: LockTestingModule runs the
// lock module on the in-memory store (same contract). This is the recipe of docs/guide.md.
describe('InventoryService with LockTestingModule (no Redis)', () => {
  let moduleRef: TestingModule;
  let inventory: InventoryService;
  let store: MemoryDemoStore;

  beforeEach(async () => {
    store = new MemoryDemoStore();
    moduleRef = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot({ instanceId: 'unit-test' })],
      providers: [InventoryService, { provide: DEMO_STORE, useValue: store }],
    }).compile();
    await moduleRef.init(); // runs onApplicationBootstrap: the stock is seeded
    inventory = moduleRef.get(InventoryService);
  });

  afterEach(() => moduleRef.close());

  it('200 concurrent reservations of one item never oversell', async () => {
    await store.set(stockKey('item-1'), 150);
    const results = await Promise.all(Array.from({ length: 200 }, () => inventory.reserve('item-1', 1)));
    expect(results.filter((r) => r.ok)).toHaveLength(150);
    expect(results.filter((r) => !r.ok).every((r) => r.reason === 'insufficient')).toBe(true);
    expect(await store.get(stockKey('item-1'))).toBe(0);
    // each successful reservation ran under its own lock ownership: distinct, increasing fences
    const fences = results.filter((r) => r.ok).map((r) => r.fence!);
    expect(new Set(fences).size).toBe(150);
    expect(moduleRef.get(LockService).getStatistics()).toMatchObject({ activeLocks: 0, totalFailed: 0 });
  });

  it('without the lock the same read-modify-write would oversell (the lock is what makes it exact)', async () => {
    await store.set(stockKey('item-2'), 150);
    // the same steps as reserve(), unlocked
    const unlocked = async () => {
      const stock = (await store.get(stockKey('item-2')))!;
      if (stock < 1) return false;
      await new Promise((resolve) => setImmediate(resolve));
      await store.set(stockKey('item-2'), stock - 1);
      return true;
    };
    const sold = (await Promise.all(Array.from({ length: 200 }, unlocked))).filter(Boolean).length;
    expect(sold).toBeGreaterThan(150 - ((await store.get(stockKey('item-2'))) ?? 0));
  });

  it('transfers under the two-key lock keep the total, in both directions at once', async () => {
    const before = await inventory.stock();
    await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        n % 2 ? inventory.transfer('item-3', 'item-4', 2) : inventory.transfer('item-4', 'item-3', 1),
      ),
    );
    const after = await inventory.stock();
    expect(after['item-3'] + after['item-4']).toBe(before['item-3'] + before['item-4']);
    expect(after['item-3']).toBe(before['item-3'] - 20 * 2 + 20 * 1);
  });
});
