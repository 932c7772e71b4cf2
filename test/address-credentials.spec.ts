// Issue 13, defect 3: an address the parser rejects must never be quoted with its password, whichever
// entry point validated it (RedisLockModule.forRoot at start-up, loadYamlConfig with ${VAR} substituted).
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidLockOptionsError, RedisLockModule, loadYamlConfig } from '@lynx-nest/redis-lock';

const PW = 'Pw-9f3c1e-never-shown';
/** Address shapes the parser rejects, each carrying the password, and how each must be quoted instead. */
const SHAPES = [
  { addr: `valkey://:${PW}@cache.internal:6379`, masked: 'valkey://***@cache.internal:6379' },
  { addr: `redis+sentinel://:${PW}@sentinel.internal:26379`, masked: 'redis+sentinel://***@sentinel.internal:26379' },
  { addr: `:${PW}@cache.internal:6379`, masked: '***@cache.internal:6379' },
  { addr: `admin:${PW}@cache.internal:6379`, masked: '***@cache.internal:6379' },
];

async function errorOf(run: () => unknown): Promise<InvalidLockOptionsError> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(InvalidLockOptionsError);
  return error as InvalidLockOptionsError;
}

/** Everything an error exposes: message, problems, stack and its inspected form. */
const everything = (error: InvalidLockOptionsError): string =>
  [error.message, JSON.stringify(error.problems), error.stack, String(error)].join('\n');

describe('addresses the parser rejects are quoted with credentials masked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lynx-lock-addr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const { addr, masked } of SHAPES) {
    it(`forRoot: ${masked}`, async () => {
      const error = await errorOf(() =>
        Test.createTestingModule({ imports: [RedisLockModule.forRoot({ addrs: [addr] })] }).compile(),
      );
      expect(error.problems).toEqual([{ path: 'addrs[0]', problem: expect.stringContaining(`"${masked}"`) }]);
      expect(everything(error)).not.toContain(PW);
    });

    it(`forRoot with mode sentinel: ${masked}`, async () => {
      const error = await errorOf(() =>
        Test.createTestingModule({
          imports: [RedisLockModule.forRoot({ mode: 'sentinel', sentinels: ['127.0.0.1:26379', addr] })],
        }).compile(),
      );
      expect(error.problems).toEqual([{ path: 'sentinels[1]', problem: expect.stringContaining(`"${masked}"`) }]);
      expect(everything(error)).not.toContain(PW);
    });

    it(`loadYamlConfig with \${REDIS_PASSWORD}: ${masked}`, async () => {
      const path = join(dir, `c-${SHAPES.findIndex((s) => s.addr === addr)}.yaml`);
      writeFileSync(path, `lynx:\n  redis:\n    addrs: ["${addr.replace(PW, '${REDIS_PASSWORD}')}"]\n`);
      const error = await errorOf(() => loadYamlConfig(path, { REDIS_PASSWORD: PW }));
      expect(error.problems).toEqual([
        { path: 'lynx.redis.addrs[0]', problem: expect.stringContaining(`"${masked}"`) },
      ]);
      expect(everything(error)).not.toContain(PW);
    });
  }
});
