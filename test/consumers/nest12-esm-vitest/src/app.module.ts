import { RedisModule } from '@liaoliaots/nestjs-redis';
import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisLockModule } from '@lynx-nest/redis-lock';
import { RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { REDIS_NAMESPACE } from './app.constants.js';
import { CounterController } from './counter/counter.controller.js';
import { CounterService } from './counter/counter.service.js';
import { HealthController } from './health/health.controller.js';

@Module({})
export class AppModule {
  /** One ioredis client, registered with @liaoliaots/nestjs-redis and reused by the lock module. */
  static forRoot(redis: { host: string; port: number }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RedisModule.forRoot({ config: { namespace: REDIS_NAMESPACE, host: redis.host, port: redis.port } }),
        RedisLockModule.forRoot({ namespace: REDIS_NAMESPACE }),
        TerminusModule,
        RedisLockHealthModule,
      ],
      controllers: [CounterController, HealthController],
      providers: [CounterService],
    };
  }
}
