import type { Redis } from 'ioredis';

/** Injection token of the demo's data store (stock, reservations, report runs). */
export const DEMO_STORE = Symbol.for('lynx-demo:store');

/**
 * The handful of data operations the demo needs. On Redis they are plain single commands: the
 * read-modify-write of a reservation is deliberately NOT atomic, so only the lock keeps it correct.
 */
export interface DemoStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<number | undefined>;
  set(key: string, value: number): Promise<void>;
  incrBy(key: string, by: number): Promise<number>;
  hincrBy(key: string, field: string, by: number): Promise<number>;
  hgetall(key: string): Promise<Record<string, number>>;
  del(...keys: string[]): Promise<void>;
  /** Append to a capped list (newest first). */
  pushCapped(key: string, value: string, max: number): Promise<void>;
  list(key: string, max: number): Promise<string[]>;
}

/** Stock and counters in Redis (the same server the locks use). */
export class RedisDemoStore implements DemoStore {
  readonly kind = 'redis' as const;
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<number | undefined> {
    const value = await this.redis.get(key);
    return value === null ? undefined : Number(value);
  }
  async set(key: string, value: number): Promise<void> {
    await this.redis.set(key, String(value));
  }
  incrBy(key: string, by: number): Promise<number> {
    return this.redis.incrby(key, by);
  }
  hincrBy(key: string, field: string, by: number): Promise<number> {
    return this.redis.hincrby(key, field, by);
  }
  async hgetall(key: string): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(key);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
  async del(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys);
  }
  async pushCapped(key: string, value: string, max: number): Promise<void> {
    await this.redis
      .multi()
      .lpush(key, value)
      .ltrim(key, 0, max - 1)
      .exec();
  }
  list(key: string, max: number): Promise<string[]> {
    return this.redis.lrange(key, 0, max - 1);
  }
}

/** The same data in process memory (the no-Redis fallback: one instance only). */
export class MemoryDemoStore implements DemoStore {
  readonly kind = 'memory' as const;
  private readonly values = new Map<string, number>();
  private readonly hashes = new Map<string, Map<string, number>>();
  private readonly lists = new Map<string, string[]>();

  // Each method yields once, like a network call, so the lock is what keeps reservations exact.
  private tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  async get(key: string): Promise<number | undefined> {
    await this.tick();
    return this.values.get(key);
  }
  async set(key: string, value: number): Promise<void> {
    await this.tick();
    this.values.set(key, value);
  }
  async incrBy(key: string, by: number): Promise<number> {
    const next = (this.values.get(key) ?? 0) + by;
    this.values.set(key, next);
    return next;
  }
  async hincrBy(key: string, field: string, by: number): Promise<number> {
    const hash = this.hashes.get(key) ?? new Map<string, number>();
    this.hashes.set(key, hash);
    const next = (hash.get(field) ?? 0) + by;
    hash.set(field, next);
    return next;
  }
  async hgetall(key: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.hashes.get(key) ?? []);
  }
  async del(...keys: string[]): Promise<void> {
    for (const key of keys) {
      this.values.delete(key);
      this.hashes.delete(key);
      this.lists.delete(key);
    }
  }
  async pushCapped(key: string, value: string, max: number): Promise<void> {
    const list = [value, ...(this.lists.get(key) ?? [])].slice(0, max);
    this.lists.set(key, list);
  }
  async list(key: string, max: number): Promise<string[]> {
    return (this.lists.get(key) ?? []).slice(0, max);
  }
}
