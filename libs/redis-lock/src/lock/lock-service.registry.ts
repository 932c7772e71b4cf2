import { processWide } from '../runtime/process-wide.state.js';
import type { LockService } from './lock.service.js';

// One map per process, shared by the ESM and the CommonJS build when an app loads both.
const services = processWide('lock-service-registry', () => new Map<string, LockService>());

/**
 * Where `@WithLock` finds its `LockService` at call time. Each service registers itself under its
 * module name when Nest constructs it and leaves on shutdown. Process-wide: a `@WithLock` of one
 * copy of the package finds the service of another.
 */
export const lockServiceRegistry = {
  register(name: string, service: LockService): void {
    services.set(name, service);
  },
  unregister(name: string, service: LockService): void {
    if (services.get(name) === service) services.delete(name);
  },
  get(name: string): LockService | undefined {
    return services.get(name);
  },
};
