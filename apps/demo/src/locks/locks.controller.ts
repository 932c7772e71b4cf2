import {
  BadRequestException,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { LockService, type LockHandle } from '@lynx-nest/redis-lock';
import { DEMO_STORE, type DemoStore } from '../data/demo-store.js';
import { demoSettings } from '../demo-settings.js';

/**
 * Locks by hand, with an injected `LockService`: acquire, renew and release (checked against the
 * fencing token the caller got), plus `GET /locks`: the locks held and this instance's statistics as JSON.
 */
@Controller('locks')
export class LocksController implements OnApplicationShutdown {
  /** Handles this instance holds for HTTP callers, by lock name. */
  private readonly held = new Map<string, LockHandle>();

  constructor(
    private readonly locks: LockService,
    @Inject(DEMO_STORE) private readonly store: DemoStore,
  ) {}

  /** The locks held now (all instances), this instance's statistics, and which backend it runs on. */
  @Get()
  async list(@Query('prefix') prefix = '') {
    return {
      instance: this.locks.instanceId,
      backend: this.store.kind,
      time: Date.now(),
      locks: await this.locks.list(prefix, 200),
      statistics: this.locks.getStatistics(),
    };
  }

  /** Takes `key` for `ttl` (default 30s), waiting per the retry strategy. Returns its fencing token. */
  @Post(':key')
  @HttpCode(201)
  async acquire(@Param('key') key: string, @Query('ttl') ttl = '30s') {
    if (this.held.get(key)?.isHeld())
      throw new ConflictException(`this instance already holds "${key}" for an HTTP caller`);
    const lock = await this.locks.acquire(key, /^\d+$/.test(ttl) ? Number(ttl) : ttl);
    this.held.set(key, lock);
    lock.signal.addEventListener('abort', () => this.held.get(key) === lock && this.held.delete(key), { once: true });
    return { key, fence: await lock.getFence(), ttlMs: await lock.getExpiration(), instance: demoSettings.instanceId };
  }

  /** Extends a lock this instance holds (to `ttl`, default its own TTL). */
  @Post(':key/renew')
  @HttpCode(200)
  async renew(@Param('key') key: string, @Query('fence') fence?: string, @Query('ttl') ttl?: string) {
    const lock = this.handle(key, fence);
    await lock.renew(ttl === undefined ? undefined : /^\d+$/.test(ttl) ? Number(ttl) : ttl);
    return { key, fence: lock.fence, ttlMs: await lock.getExpiration(), instance: demoSettings.instanceId };
  }

  /** Releases a lock this instance holds; `fence` must match the token returned by acquire. */
  @Delete(':key')
  async release(@Param('key') key: string, @Query('fence') fence?: string) {
    const lock = this.handle(key, fence);
    this.held.delete(key);
    const stillOurs = await lock.release();
    return { key, fence: lock.fence, released: true, expiredBefore: !stillOurs, instance: demoSettings.instanceId };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.held.values()].map((lock) => lock.release()));
  }

  private handle(key: string, fence: string | undefined): LockHandle {
    const lock = this.held.get(key);
    if (!lock) throw new NotFoundException(`this instance holds no HTTP lock "${key}"`);
    if (fence === undefined) throw new BadRequestException('pass ?fence=<the token acquire returned>');
    if (String(lock.fence) !== fence) {
      throw new ConflictException(`fence ${fence} is stale: "${key}" is held with fence ${lock.fence}`);
    }
    return lock;
  }
}
