import type { LockService } from './lock.service.js';

const services = new Map<string, LockService>();

/**
 * Where `@WithLock` finds its `LockService` at call time. Each service registers itself under its
 * module name when Nest constructs it and leaves on shutdown.
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
