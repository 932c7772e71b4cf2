import { Test, TestingModule } from '@nestjs/testing';
import { LockService } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';
import { CounterService } from './counter.service';

describe('CounterService on LockTestingModule (no Redis)', () => {
  let moduleRef: TestingModule;
  let counter: CounterService;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot()],
      providers: [CounterService],
    }).compile();
    await moduleRef.init();
    counter = moduleRef.get(CounterService);
  });

  afterEach(() => moduleRef.close());

  it('serialises 20 concurrent increments through @WithLock: exact count, fences rising', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => counter.increment()));
    const byValue = [...results].sort((a, b) => a.value - b.value);
    expect(byValue.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (let i = 1; i < byValue.length; i++) expect(byValue[i].fence).toBeGreaterThan(byValue[i - 1].fence);
    expect(counter.read()).toBe(20);
  });

  it('takes the lock named "counter" once per call and leaves it free', async () => {
    await counter.increment();
    const locks = moduleRef.get(LockService);
    expect(locks.getStatistics()).toMatchObject({ totalAcquired: 1, totalReleased: 1, activeLocks: 0 });
    expect(await locks.inspect('counter')).toMatchObject({ held: false });
  });

  it('read-write lock and semaphore from the CommonJS build: readers share, at most 2 slots', async () => {
    const reads = await Promise.all([counter.readShared(), counter.readShared(), counter.readShared()]);
    expect(reads.map((r) => r.kind)).toEqual(['read', 'read', 'read']);
    const inside = { now: 0, max: 0 };
    const kinds = await Promise.all(Array.from({ length: 6 }, () => counter.slot(inside)));
    expect(kinds).toEqual(Array(6).fill('semaphore'));
    expect(inside.max).toBe(2);
    const locks = moduleRef.get(LockService);
    expect(await locks.semaphore('counter-slots', { permits: 2 }).available()).toBe(2);
  });
});
