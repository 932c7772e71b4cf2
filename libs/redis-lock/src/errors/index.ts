export { LockError, type LockErrorCode } from './lock.error.js';
export { LockAcquireTimeoutError } from './lock-acquire-timeout.error.js';
export { LockNotHeldError } from './lock-not-held.error.js';
export { LockLostError, type LockLostReason } from './lock-lost.error.js';
export { LockBackendError } from './lock-backend.error.js';
export { InvalidLockKeyError } from './invalid-lock-key.error.js';
export { InvalidLockOptionsError, type OptionProblem } from './invalid-lock-options.error.js';
export { LockShutdownError } from './lock-shutdown.error.js';
export { DeadlockError } from './deadlock.error.js';
