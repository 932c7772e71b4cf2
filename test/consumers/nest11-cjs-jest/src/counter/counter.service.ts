import { Injectable } from '@nestjs/common';
import { currentLock, WithLock } from '@lynx-nest/redis-lock';

/** What one increment returns: the new value and the fencing token of the lock it ran under. */
export interface Increment {
  value: number;
  fence: number;
}

/** An in-memory counter updated by read-modify-write with an await in between, under a lock. */
@Injectable()
export class CounterService {
  private value = 0;

  /** Reads, yields to the event loop, writes: concurrent calls would lose updates without the lock. */
  @WithLock('counter', { name: 'counter', maxRetries: -1, maxElapsedTime: '20s' })
  async increment(): Promise<Increment> {
    const read = this.value;
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.value = read + 1;
    return { value: this.value, fence: await currentLock()!.getFence() };
  }

  read(): number {
    return this.value;
  }
}
