import { RedisService } from '@liaoliaots/nestjs-redis';
import { Injectable } from '@nestjs/common';
import { currentLock, WithLock } from '@lynx-nest/redis-lock';
import { REDIS_NAMESPACE } from '../app.constants.js';

/** What one increment returns: the new value and the fencing token of the lock it ran under. */
export interface Increment {
  value: number;
  fence: number;
}

/** A counter kept in Redis through the app's own client, updated by read-modify-write under a lock. */
@Injectable()
export class CounterService {
  constructor(private readonly redis: RedisService) {}

  private get client() {
    return this.redis.getOrThrow(REDIS_NAMESPACE);
  }

  /** GET then SET: two round trips, so concurrent calls would lose updates without the lock. */
  @WithLock('counter', { name: 'counter', maxRetries: -1, maxElapsedTime: '20s' })
  async increment(): Promise<Increment> {
    const value = Number((await this.client.get('consumer:counter')) ?? 0) + 1;
    await this.client.set('consumer:counter', String(value));
    return { value, fence: await currentLock()!.getFence() };
  }

  async read(): Promise<number> {
    return Number((await this.client.get('consumer:counter')) ?? 0);
  }
}
