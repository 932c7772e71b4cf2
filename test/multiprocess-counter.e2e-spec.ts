import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./workers/counter-worker.mjs', import.meta.url));

describe('mutual exclusion across processes', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('three processes incrementing a counter with a non-atomic GET/SET inside `lock` reach the exact total', async () => {
    const perProcess = 60;
    const outputs = await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, [worker, String(redis.port), String(perProcess)], { timeout: 60_000 })),
    );
    expect(outputs.map((o) => o.stdout.trim())).toEqual(['done', 'done', 'done']);
    const client = redis.client();
    expect(Number(await client.get('counter'))).toBe(3 * perProcess);
    client.disconnect();
  }, 90_000);
});
