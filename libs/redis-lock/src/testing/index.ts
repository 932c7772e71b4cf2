export { LockTestingModule } from './lock-testing.module.js';
export { MemoryLockStore } from '../store/memory-lock.store.js';
