import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { currentLock, LockService, WithLock } from '@lynx-nest/redis-lock';
import { LockTestingModule } from '@lynx-nest/redis-lock/testing';

// Fails when the test transform stops emitting decorator metadata (a wrong key in vitest.config.ts
// disables it silently): constructor injection without @Inject() would then get `undefined`.
@Injectable()
class Billing {
  constructor(readonly locks: LockService) {}

  @WithLock('invoice:{0}')
  async issue(_id: string): Promise<number> {
    return currentLock()!.getFence();
  }
}

describe('decorator metadata under Vitest', () => {
  it('emits design:paramtypes, so Nest injects LockService by type', async () => {
    expect(Reflect.getMetadata('design:paramtypes', Billing)).toEqual([LockService]);
    expect(Reflect.getMetadata('design:paramtypes', Billing.prototype, 'issue')).toEqual([String]);
    const module = await Test.createTestingModule({
      imports: [LockTestingModule.forRoot()],
      providers: [Billing],
    }).compile();
    await module.init();
    try {
      const billing = module.get(Billing);
      expect(billing.locks).toBeInstanceOf(LockService);
      expect(billing.locks).toBe(module.get(LockService));
      expect(await billing.issue('7')).toBeGreaterThan(0);
    } finally {
      await module.close();
    }
  });
});
