import { MemoryLockStore, resolveModuleOptions } from '@lynx-nest/redis-lock';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { describePermitStoreContract } from './support/permit-store-contract.js';
import { startRedisServer } from './support/redis-server.js';

// The read-write lock and semaphore contract for the in-process store and a single Redis node.
describePermitStoreContract('memory', async () => ({ store: new MemoryLockStore(), cleanup: async () => undefined }));

describePermitStoreContract('redis single node (with the default circuit breaker)', async () => {
  const redis = await startRedisServer();
  const store = await createLockStore(resolveModuleOptions({ addrs: [`127.0.0.1:${redis.port}`] }));
  return {
    store,
    cleanup: async () => {
      await store.close();
      await redis.stop();
    },
  };
});
