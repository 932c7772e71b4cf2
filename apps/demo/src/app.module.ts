import { Module, type DynamicModule } from '@nestjs/common';
import { MemoryLockStore, RedisLockModule } from '@lynx-nest/redis-lock';
import type { DemoBackend } from './redis-bootstrap.js';

/** The demo's root module, wired to the backend found at start-up. */
@Module({})
export class AppModule {
  static register(backend: DemoBackend): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RedisLockModule.forRoot(
          backend.kind === 'redis'
            ? { addrs: [backend.url], instanceId: `demo-${process.pid}` }
            : { store: new MemoryLockStore(), instanceId: `demo-${process.pid}` },
        ),
      ],
    };
  }
}
