// @lynx-nest/redis-lock/health: the Terminus indicator. Needs the optional peer @nestjs/terminus;
// the package root never imports this file.
export { RedisLockHealthIndicator, type RedisLockHealthOptions } from './redis-lock.health.js';
export { RedisLockHealthModule } from './redis-lock-health.module.js';
