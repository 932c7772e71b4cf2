import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { RedisLockModule } from '@lynx-nest/redis-lock';
import { RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { RedisLockMetricsModule } from '@lynx-nest/redis-lock/metrics';
import { CounterController } from './counter/counter.controller';
import { CounterService } from './counter/counter.service';
import { HealthController } from './health/health.controller';

@Module({})
export class AppModule {
  /** @param redisAddr `host:port` of the Redis the locks live on */
  static forRoot(redisAddr: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RedisLockModule.forRoot({ addrs: [redisAddr] }),
        TerminusModule,
        RedisLockHealthModule,
        PrometheusModule.register(), // GET /metrics
        RedisLockMetricsModule,
      ],
      controllers: [CounterController, HealthController],
      providers: [CounterService],
    };
  }
}
