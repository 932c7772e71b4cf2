import { Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Duration } from '../config/duration.js';
import { LockService } from '../lock/lock.service.js';
import { requireLockService } from '../lock/require-lock-service.js';

/**
 * Options of {@link RedisLockHealthIndicator.isHealthy}.
 *
 * @example
 * this.locks.isHealthy('redis-lock', { timeout: '1s' });
 */
export interface RedisLockHealthOptions {
  /** Budget of the whole check; past it the indicator is down ("did not complete within"). @default max(1 s, 3 × lock.commandTimeout) */
  timeout?: Duration;
}

/**
 * Terminus health indicator of the lock backend, written with the `HealthIndicatorService` of
 * Terminus 11 and 12. It runs `LockService.checkHealth()`: PING with the command timeout, the
 * Lua scripts present (reloaded when a restart dropped them), a probe acquire/release on a reserved
 * name, the watchdog's renewal lag and the recent backend error rate. Problems give `.down({ reason,
 * ... })` (HTTP 503 from `HealthCheckService`), never an exception of its own. The payload holds no
 * password, URL or owner token.
 *
 * @example
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly locks: RedisLockHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.locks.isHealthy('redis-lock')]);
 *   }
 * }
 */
@Injectable()
export class RedisLockHealthIndicator {
  private readonly locks: LockService;

  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    // Optional so that a missing RedisLockModule fails start-up with the fix, not "can't resolve dependencies".
    @Optional() locks?: LockService,
  ) {
    this.locks = requireLockService(locks, 'RedisLockHealthModule (RedisLockHealthIndicator)');
  }

  /**
   * Checks the lock backend and reports it under `key`.
   *
   * @default key 'redis-lock'
   * @example
   * await indicator.isHealthy('locks', { timeout: '1s' });
   * // { locks: { status: 'up', store: 'redis', latencyMs: 0.4, scriptsLoaded: true, probe: 'ok', ... } }
   */
  async isHealthy<const Key extends string = 'redis-lock'>(
    key: Key = 'redis-lock' as Key,
    options: RedisLockHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.healthIndicatorService.check(key);
    let report;
    try {
      report = await this.locks.checkHealth({ timeout: options.timeout });
    } catch (error) {
      // Only a bad `timeout` option gets here; report it rather than throw out of a health check.
      return indicator.down({ reason: (error as Error).message });
    }
    const { status, ...data } = report;
    return status === 'up' ? indicator.up(data) : indicator.down(data);
  }
}
