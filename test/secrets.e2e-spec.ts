import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError } from '@lynx-nest/redis-lock';
import { createLockApp } from './support/lock-app.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const PASSWORD = 'Sup3r-s3cret-pw-4-tests';
const WRONG = 'Wr0ng-s3cret-pw-4-tests';

describe('credentials never leak', () => {
  let redis: RedisServer;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    redis = await startRedisServer({ args: ['--requirepass', PASSWORD] });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('works with the right password and logs nothing secret at DEBUG level', async () => {
    const app = await createLockApp(
      { addrs: [`127.0.0.1:${redis.port}`], password: PASSWORD, logging: { level: 'DEBUG' } },
      [],
      [],
      logger,
    );
    const lock = await app.locks.acquire('secret:1', '5s');
    expect(lock.isHeld()).toBe(true);
    await lock.release();
    const health = await app.locks.checkHealth();
    expect(health.status).toBe('up');
    expect(JSON.stringify(health)).not.toContain(PASSWORD);
    expect(JSON.stringify(lock)).not.toContain(lock.getValue());
    await app.close();
    expect(logger.texts().some((l) => l.includes('acquired "secret:1"'))).toBe(true);
    expect(logger.texts().join('\n')).not.toContain(PASSWORD);
  });

  it('a failing AUTH gives LockBackendError and health DOWN without the password anywhere', async () => {
    const app = await createLockApp(
      { addrs: [`redis://user:${WRONG}@127.0.0.1:${redis.port}`], password: WRONG, lock: { commandTimeout: '300ms' } },
      [],
      [],
      logger,
    );
    const error = await app.locks.acquire('secret:2').catch((e) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    const health = await app.locks.checkHealth();
    expect(health.status).toBe('down');
    await app.close();
    const everything = [
      error.message,
      inspect(error, { depth: 10 }),
      JSON.stringify(error),
      JSON.stringify(health),
      ...logger.texts(),
    ].join('\n');
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(PASSWORD);
  });
});
