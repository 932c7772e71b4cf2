// The fenced resources of the fault suite's read-write lock and semaphore modes
// (test/faults/permit-resource.mjs) on a real redis-server: what they accept and refuse.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module of the fault suite
import { defineRwResource, defineSemResource, semSlotKeys } from './faults/permit-resource.mjs';
// @ts-expect-error plain ESM module of the fault suite
import { resourceKeys } from './faults/resource.mjs';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

describe('fault suite permit resources', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis({ port: server.port, lazyConnect: false });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('read-write register: a reader of token T fences out the writer of T; lower tokens are refused', async () => {
    const rw = defineRwResource(redis);
    expect(await rw.writerRead('a', 10)).toEqual({ ok: true, value: 0 });
    expect(await rw.write('a', 10, 1, 0, 111)).toBe(true);
    expect(await rw.read('a', 10)).toEqual({ ok: true, value: 1 }); // a reader sharing the writer's token
    expect((await rw.writerRead('a', 10)).ok).toBe(false); // that writer released or lost the lock
    expect(await rw.write('a', 10, 2, 1, 111)).toBe(false);
    expect(await rw.writerRead('a', 11)).toEqual({ ok: true, value: 1 }); // the next writer
    expect((await rw.read('a', 10)).ok).toBe(false); // an older reader, after the new writer registered
    expect(await rw.write('a', 11, 2, 1, 222)).toBe(true);
    expect(await redis.lrange(resourceKeys('a').wlog, 0, -1)).toEqual(['10:0:1:111', '11:1:2:222']);
  });

  it('semaphore slots: at most N occupants, the lowest token evicted, evicted writes refused', async () => {
    const sem = defineSemResource(redis, 2);
    const a = await sem.claim('s', 10, 1);
    const b = await sem.claim('s', 11, 1);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(new Set([...a.slots, ...b.slots]).size).toBe(2);
    const c = await sem.claim('s', 12, 1); // both taken: evicts 10
    expect(c.slots).toEqual(a.slots);
    expect(await sem.write('s', 10, a.slots, 1)).toBe(false);
    expect(await sem.write('s', 12, c.slots, 3)).toBe(true);
    expect(await sem.claim('s', 9, 1)).toEqual({ ok: false }); // every occupant is newer
    await sem.leave('s', 11, b.slots);
    expect(await sem.claim('s', 9, 1)).toEqual({ ok: false }); // the free slot saw 11 already
    const d = await sem.claim('s', 13, 2); // the free slot plus 12's
    expect(d.ok && d.slots.length).toBe(2);
    expect(await sem.write('s', 12, c.slots, 3)).toBe(false);
    expect(await sem.write('s', 13, d.slots, 4)).toBe(true);
    const logs = await Promise.all([0, 1].map((i) => redis.lrange(semSlotKeys('s').wlog(i), 0, -1)));
    expect(logs.flat().sort()).toEqual(['12:0:1:3', '13:0:1:4', '13:1:2:4']);
  });
});
