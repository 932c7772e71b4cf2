import { MemoryLockStore, resolveModuleOptions } from '@lynx-nest/redis-lock';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { describeLockStoreContract } from './support/lock-store-contract.js';
import { startRedisServer } from './support/redis-server.js';

// The same contract for the in-process store and a single Redis node (topologies: test/topology-*.e2e-spec.ts).
describeLockStoreContract('memory', async () => ({ store: new MemoryLockStore(), cleanup: async () => undefined }));

describeLockStoreContract('redis single node', async () => {
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
