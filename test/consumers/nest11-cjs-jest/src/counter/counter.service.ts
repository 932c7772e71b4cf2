import { Injectable } from '@nestjs/common';
import { currentLock, WithLock, WithSemaphore } from '@lynx-nest/redis-lock';

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

  /** Reads under the read side of the counter's read-write lock: readers share it. */
  @WithLock('counter-rw', { mode: 'read', name: 'counter-read' })
  async readShared(): Promise<{ value: number; kind: string }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { value: this.value, kind: currentLock()!.kind };
  }

  /** At most two of these run at once (a semaphore of 2 permits). */
  @WithSemaphore('counter-slots', { permits: 2, maxRetries: -1, maxElapsedTime: '20s' })
  async slot(inside: { now: number; max: number }): Promise<string> {
    inside.now++;
    inside.max = Math.max(inside.max, inside.now);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inside.now--;
    return currentLock()!.kind;
  }
}
