import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBackendError, resolveModuleOptions } from '@lynx-nest/redis-lock';
import { Redis } from 'ioredis';
import { createLockStore } from '../libs/redis-lock/src/store/create-lock-store.js';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';

/** A self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const openssl = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
  if (!openssl)
    throw new Error(
      'openssl is not installed: the TLS test makes its own certificate with it (apt-get install -y openssl)',
    );
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { cert, key };
}

/** Ready when a TLS handshake with the CA succeeds and PING answers. */
const tlsReady = (ca: string) => async (port: number) => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(false));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString().startsWith('+PONG'))));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`TLS redis-server on ${port} not ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('TLS (rediss://, self-signed certificate made by the test)', () => {
  let dir: string;
  let ca: string;
  let redis: RedisServer;
  let app: LockApp;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lynx-lock-tls-'));
    const { cert, key } = makeCertificate(dir);
    ca = readFileSync(cert, 'utf8');
    const port = await freePort();
    redis = await startRedisServer({
      port,
      args: [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
      ],
      ready: tlsReady(ca),
    });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the server speaks TLS only (a plain-text client gets no answer)', async () => {
    const plain = new Redis({
      host: '127.0.0.1',
      port: redis.port,
      lazyConnect: true,
      connectTimeout: 500,
      commandTimeout: 500,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    plain.on('error', () => undefined);
    await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
    plain.disconnect();
  });

  it('locks over rediss:// with the CA in `tls`', async () => {
    app = await createLockApp({ addrs: [`rediss://127.0.0.1:${redis.port}`], tls: { ca } });
    const result = await app.locks.withLock('tls-job', async (lock) => {
      expect(await lock.getFence()).toBeGreaterThan(0);
      return (await app.locks.inspect('tls-job')).held;
    });
    expect(result).toBe(true);
    expect((await app.locks.inspect('tls-job')).held).toBe(false);
  });

  it('refuses a server certificate it cannot verify (no rejectUnauthorized: false by default)', async () => {
    const store = await createLockStore(
      resolveModuleOptions({ addrs: [`127.0.0.1:${redis.port}`], tls: true, lock: { commandTimeout: '500ms' } }),
    );
    await expect(store.init()).rejects.toBeInstanceOf(LockBackendError);
    await store.close();
  });
});

// Both forms documented in docs/topologies.md#acl: explicit commands, and categories.
const ACL_RULES = {
  'explicit commands': [
    '-@all',
    '+evalsha',
    '+eval',
    '+script|load',
    '+script|exists',
    '+ping',
    '+info',
    '+client|setname',
    '+scan',
    '+wait',
    '+subscribe',
    '+unsubscribe',
    '+publish',
    '+hget',
    '+hset',
    '+hdel',
    '+hincrby',
    '+del',
    '+exists',
    '+get',
    '+set',
    '+incr',
    '+pexpire',
    '+pttl',
    '+time',
    '+zadd',
    '+zrem',
    '+zrange',
    '+zpopmin',
    '+zrank',
    '+zscore',
  ],
  categories: [
    '-@all',
    '+@read',
    '+@write',
    '+@keyspace',
    '+@scripting',
    '+@pubsub',
    '+@connection',
    '+time',
    '-@dangerous',
    '+info',
    '+client|setname',
  ],
};

describe.each(Object.entries(ACL_RULES))('ACL user limited to the lock prefix (%s)', (_form, rules) => {
  let redis: RedisServer;
  let app: LockApp;
  const password = 'locker-secret-pw';
  beforeAll(async () => {
    redis = await startRedisServer();
    const admin = redis.client();
    // What the library needs, on its own keys and channels only (docs/topologies.md#acl).
    await admin.call(
      'ACL',
      'SETUSER',
      'locker',
      'on',
      `>${password}`,
      'resetkeys',
      '~lynx:lock:*',
      'resetchannels',
      '&lynx:lock:*',
      ...rules,
    );
    app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], username: 'locker', password });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('the whole lock path works: acquire, reentry, renew, wait for a release, inspect, list, release', async () => {
    const handle = await app.locks.acquire('acl-job', '5s');
    await handle.renew('5s');
    expect((await app.locks.inspect('acl-job')).held).toBe(true);
    expect(await app.locks.list('acl-')).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'acl-job', held: true })]),
    );
    const holderFence = await handle.getFence();
    const waiter = app.locks.withLock('acl-job', (lock) => lock.getFence(), {
      ttl: '5s',
      maxRetries: -1,
      maxElapsedTime: '5s',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await handle.release()).toBe(true);
    expect(await waiter).toBeGreaterThan(holderFence);
  });

  it('touching anything outside the prefix fails with NOPERM', async () => {
    const locker = redis.client({ username: 'locker', password });
    await expect(locker.set('other:key', '1')).rejects.toThrow(/NOPERM/);
    await expect(locker.get('lynx:lockother')).rejects.toThrow(/NOPERM/);
    await expect(locker.flushall()).rejects.toThrow(/NOPERM/);
    await expect(locker.eval("return redis.call('SET', KEYS[1], '1')", 1, 'other:key')).rejects.toThrow(/NOPERM/);
    await expect(locker.eval("return redis.call('SET', 'other:key', '1')", 1, 'lynx:lock:{x}')).rejects.toThrow(
      /can't access|NOPERM/,
    );
    locker.disconnect();
  });

  it('a module configured with another key prefix is refused by the ACL (LockBackendError, no secret in it)', async () => {
    const other = await createLockStore(
      resolveModuleOptions({
        addrs: [`127.0.0.1:${redis.port}`],
        username: 'locker',
        password,
        keyPrefix: 'other:lock:',
        lock: { circuitBreaker: { enabled: false } },
      }),
    );
    await other.init();
    const error = await other.acquire('x', 'owner:a', 1000, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockBackendError);
    expect((error as Error).message).toMatch(/NOPERM/);
    expect(JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) })).not.toContain(password);
    await other.close();
  });
});
