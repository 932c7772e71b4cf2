import { Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { RedisModule, RedisService, type RedisClientOptions } from '@liaoliaots/nestjs-redis';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LockExceptionFilter, RedisLockModule, type RedisLockModuleOptions } from '@lynx-nest/redis-lock';
import { RedisLockDashboardModule } from '@lynx-nest/redis-lock/dashboard';
import { RedisLockHealthModule } from '@lynx-nest/redis-lock/health';
import { DEMO_STORE, MemoryDemoStore, RedisDemoStore } from './data/demo-store.js';
import { lockOptionsFor } from './demo-config.js';
import { HealthController } from './health/health.controller.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { InventoryService } from './inventory/inventory.service.js';
import { LocksController } from './locks/locks.controller.js';
import { PartnerClient } from './partner/partner.client.js';
import { PartnerController } from './partner/partner.controller.js';
import type { DemoBackend } from './redis-bootstrap.js';
import { CatalogReportController } from './report/catalog-report.controller.js';
import { CatalogReportService } from './report/catalog-report.service.js';
import { ReportController } from './report/report.controller.js';
import { ReportJob } from './report/report.job.js';

/** The one ioredis client of the demo, registered with `@liaoliaots/nestjs-redis` and shared by the lock module and the data. */
function redisClient(
  backend: Extract<DemoBackend, { kind: 'redis' }>,
  file: RedisLockModuleOptions,
): RedisClientOptions {
  const url = new URL(backend.url);
  const fromFile =
    backend.private || url.password
      ? {}
      : { password: file.password || undefined, username: file.username || undefined, db: file.db };
  return {
    namespace: 'demo',
    url: backend.url,
    ...fromFile,
    // The lock path's settings: fail fast while disconnected instead of queueing (see the guide's "Redis client" section).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectionName: 'lynx-lock-demo',
    onClientCreated: (client) => {
      // ioredis reports every failed reconnect; say it once per 10 s (the health check has the details)
      const logger = new Logger('Redis');
      let last = 0;
      client.on('error', (error: Error) => {
        if (Date.now() - last < 10_000) return;
        last = Date.now();
        logger.warn(`connection problem (retrying): ${error.message}`);
      });
      client.on('ready', () => last > 0 && logger.log('connected again'));
    },
  };
}

/** The demo's root module, wired to the backend found at start-up and the options of config.yaml. */
@Module({})
export class AppModule {
  static register(backend: DemoBackend, file: RedisLockModuleOptions): DynamicModule {
    const store: Provider =
      backend.kind === 'redis'
        ? {
            provide: DEMO_STORE,
            inject: [RedisService],
            useFactory: (redis: RedisService) => new RedisDemoStore(redis.getOrThrow('demo')),
          }
        : { provide: DEMO_STORE, useValue: new MemoryDemoStore() };
    return {
      module: AppModule,
      imports: [
        ...(backend.kind === 'redis'
          ? [RedisModule.forRoot({ errorLog: false, config: redisClient(backend, file) })]
          : []),
        backend.kind === 'redis'
          ? // The lock module reuses the app's client by namespace (it does not close it; RedisModule does).
            RedisLockModule.forRoot({ ...lockOptionsFor(backend, file), namespace: 'demo' })
          : RedisLockModule.forRoot(lockOptionsFor(backend, file)),
        ScheduleModule.forRoot(),
        TerminusModule,
        RedisLockHealthModule,
        PrometheusModule.register({ path: file.monitoring?.metricsPath ?? '/metrics' }),
        // The library's live lock page at / (JSON at /state). No guard: the demo is for a developer's
        // machine; an app exposed to others passes `guard` (lock names are visible to whoever opens it).
        RedisLockDashboardModule.forRoot({ path: '/' }),
      ],
      controllers: [
        LocksController,
        InventoryController,
        ReportController,
        CatalogReportController,
        PartnerController,
        HealthController,
      ],
      providers: [
        store,
        InventoryService,
        ReportJob,
        CatalogReportService,
        PartnerClient,
        { provide: APP_FILTER, useClass: LockExceptionFilter },
      ],
    };
  }
}
