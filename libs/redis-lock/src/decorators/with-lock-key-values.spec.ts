import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentLock } from '../lock/lock-context.js';
import { LockTestingModule } from '../testing/index.js';
import { WithLock } from './with-lock.decorator.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two methods whose templates collide when a caller puts a separator into an argument. */
@Injectable()
class Orders {
  @WithLock('order:{0}', { onLocked: 'throw' })
  async order(_id: string): Promise<string> {
    await sleep(50);
    return currentLock()!.getKey();
  }

  @WithLock('order:{0}:items', { onLocked: 'throw' })
  async items(_id: string): Promise<string> {
    await sleep(50);
    return currentLock()!.getKey();
  }

  @WithLock('order:{0}', { onLocked: 'throw', keyValues: 'raw' })
  async orderRaw(_id: string): Promise<string> {
    await sleep(50);
    return currentLock()!.getKey();
  }
}

describe('@WithLock escapes template values (keyValues)', () => {
  let moduleRef: TestingModule;
  let orders: Orders;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot()],
      providers: [Orders],
    }).compile();
    await moduleRef.init();
    orders = moduleRef.get(Orders);
  });
  afterAll(() => moduleRef?.close());

  it("order('5:items') and items('5') take different locks and run at the same time", async () => {
    const [a, b] = await Promise.all([orders.order('5:items'), orders.items('5')]);
    expect(a).toBe('order:5%3Aitems');
    expect(b).toBe('order:5:items');
  });

  it("with keyValues 'raw' the value reaches the other method's lock (so 'throw' refuses one of them)", async () => {
    const outcomes = await Promise.allSettled([orders.orderRaw('5:items'), orders.items('5')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('an ordinary id gives the same key as before', async () => {
    expect(await orders.order('42')).toBe('order:42');
  });

  it('rejects an unknown keyValues when the class is defined', () => {
    expect(() => WithLock('x:{0}', { keyValues: 'base64' as never })).toThrow(/keyValues/);
  });
});
