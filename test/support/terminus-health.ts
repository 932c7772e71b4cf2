import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RedisLockHealthIndicator } from '@lynx-nest/redis-lock/health';

/** `GET /health`: Terminus with the lock indicator, as an app would wire it. */
@Controller('health')
export class LockHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly locks: RedisLockHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.locks.isHealthy('redis-lock')]);
  }
}

/** Polls `fn` every 100 ms until it returns true (→ true) or `ms` passed (→ false). */
export async function eventually(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
