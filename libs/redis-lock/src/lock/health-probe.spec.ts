import { describe, expect, it } from 'vitest';
import { MemoryLockStore } from '../store/memory-lock.store.js';
import { HealthProbe } from './health-probe.js';
import type { LockLogger } from './lock-logger.js';

/** A store whose PING fails after `delayMs`, as one does while its client is being closed. */
class ClosingStore extends MemoryLockStore {
  constructor(private readonly delayMs: number) {
    super();
  }
  override async ping(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    throw new Error('Connection is closed.');
  }
}

const capture = () => {
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m), debug: () => {}, error: () => {} } as unknown as LockLogger;
  return { warnings, logger };
};

const probeWith = (store: MemoryLockStore, logger: LockLogger) => {
  const deps = {
    store,
    instanceId: 'probe-test',
    renewalLagMs: () => 0,
    activeLocks: () => 0,
    errorRate: () => ({ operations: 0, errors: 0, rate: 0 }),
  };
  return new HealthProbe(() => deps, logger, 20, 1000);
};

describe('HealthProbe', () => {
  it('logs a DOWN once when the backend fails', async () => {
    const { warnings, logger } = capture();
    const probe = probeWith(new ClosingStore(1), logger);
    probe.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    probe.stop();
    expect(warnings.filter((w) => w.startsWith('Lock backend is DOWN'))).toHaveLength(1);
  });

  it('a check still in flight when the probe stops (the module shuts down) logs nothing', async () => {
    const { warnings, logger } = capture();
    const probe = probeWith(new ClosingStore(100), logger);
    probe.start();
    await new Promise((resolve) => setTimeout(resolve, 40)); // the first check is in flight
    probe.stop();
    await new Promise((resolve) => setTimeout(resolve, 200)); // and fails after the stop
    expect(warnings).toEqual([]);
  });
});
