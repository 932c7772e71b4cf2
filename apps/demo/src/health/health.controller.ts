import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RedisLockHealthIndicator } from '@lynx-nest/redis-lock/health';

/** `GET /health`: 200 while the lock backend answers (PING, scripts, a probe lock round trip), 503 otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly lockHealth: RedisLockHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.lockHealth.isHealthy('redis-lock', { timeout: '2s' })]);
  }
}
