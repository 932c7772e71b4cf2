// Security properties beyond test/secrets.e2e-spec.ts (which covers the basic password cases):
// 1. nothing secret (Redis password, owner tokens) in ANY output of a busy run against a
//    password-protected Redis and of a run with failing AUTH: Nest logs at DEBUG, everything written to
//    stdout/stderr/console, every event payload, errors of every API call (message, stack, cause,
//    util.inspect, JSON), health reports, statistics and the Prometheus metrics text;
// 2. key validation blocks hash-tag and control-character injection on every entry point, and nothing
//    reaches Redis for a refused name;
// 3. forceRelease is refused unless admin.enabled.
import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidLockKeyError,
  InvalidLockOptionsError,
  LockBackendError,
  LockError,
  type LockEventMap,
  type LockService,
} from '@lynx-nest/redis-lock';
import { bindLockMetrics } from '@lynx-nest/redis-lock/metrics';
import { createLockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { ownerOf } from './support/lock-value.js';

const PASSWORD = 'Pw-9f1c-SECRET-never-printed';
const WRONG = 'Wrong-7d2e-SECRET-never-printed';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects everything a run makes visible. */
class Capture implements LoggerService {
  readonly lines: string[] = [];
  private restore: (() => void)[] = [];
  log = (...m: unknown[]) => this.add(m);
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
  fatal = this.log;

  add(values: unknown[]): void {
    this.lines.push(
      values.map((v) => (typeof v === 'string' ? v : inspect(v, { depth: 10, showHidden: true }))).join(' '),
    );
  }

  /** Every error in every form a caller might print it. */
  error_(error: unknown): void {
    const e = error as Error & { cause?: unknown };
    this.add([
      String(e),
      e?.message,
      e?.stack,
      inspect(e, { depth: 10, showHidden: true }),
      JSON.stringify(e),
      inspect(e?.cause, { depth: 10, showHidden: true }),
    ]);
  }

  /** Also capture process.stdout / stderr and console.* (ioredis or Nest printing directly). */
  hookProcessOutput(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.lines.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      this.restore.push(() => (stream.write = original));
    }
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        this.add(args);
        original.apply(console, args);
      };
      this.restore.push(() => (console[level] = original));
    }
  }

  /** Every payload of every event the service emits. */
  listen(locks: LockService): void {
    const names: (keyof LockEventMap)[] = [
      'acquired',
      'released',
      'failed',
      'retry',
      'renewed',
      'renewalFailed',
      'lost',
      'expired',
      'skipped',
      'breaker',
    ];
    for (const name of names)
      locks.events.on(name, ((payload: unknown) => this.add([`event ${name}`, payload])) as never);
  }

  unhook(): void {
    for (const undo of this.restore.splice(0)) undo();
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

/** Runs `fn`, recording its error (if any) in every printable form. */
async function attempt(capture: Capture, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (error) {
    capture.error_(error);
    return error;
  }
}

describe('secrets never reach any output', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer({ args: ['--requirepass', PASSWORD] });
  });
  afterAll(() => redis?.stop());

  it('a busy run with the right password (DEBUG logs, lost locks, forceRelease, metrics): no password, no owner token', async () => {
    const capture = new Capture();
    capture.hookProcessOutput();
    const tokens = new Set<string>();
    const admin = redis.client({ password: PASSWORD });
    const registry = new Registry();
    try {
      const app = await createLockApp(
        {
          addrs: [`redis://:${PASSWORD}@127.0.0.1:${redis.port}`],
          password: PASSWORD,
          logging: { level: 'DEBUG' },
          admin: { enabled: true },
          lock: { commandTimeout: '300ms' },
        },
        [],
        [],
        capture,
      );
      const { locks } = app;
      capture.listen(locks);
      const binding = bindLockMetrics(locks, registry);
      const grab = async (name: string) => {
        const owner = ownerOf(await admin.get(`lynx:lock:{${name}}`));
        if (owner) tokens.add(owner);
      };

      // Ordinary traffic, contention with retries, reentrancy.
      await locks.withLock('sec:a', async () => {
        await grab('sec:a');
        await locks.withLock('sec:a', () => grab('sec:a'));
      });
      const holder = await locks.acquire('sec:b', '2s');
      await grab('sec:b');
      await attempt(capture, () =>
        locks.acquire('sec:b', '1s', { maxRetries: 2, retryInterval: '10ms', maxElapsedTime: '100ms' }),
      );
      await holder.release();
      // A lock lost behind the holder's back (renewal refused), and a release that finds it gone.
      const lost = await locks.acquire('sec:c', '300ms', { renewalEnabled: true });
      await grab('sec:c');
      await admin.del('lynx:lock:{sec:c}');
      await sleep(400);
      capture.add([
        String(lost.signal.reason),
        inspect(lost.signal.reason, { depth: 10 }),
        inspect(lost),
        JSON.stringify(lost),
      ]);
      await attempt(capture, () => lost.release());
      await attempt(capture, () => lost.renew());
      // Administrative calls and monitoring output.
      const other = await locks.acquire('sec:d', '5s');
      await grab('sec:d');
      capture.add([await locks.inspect('sec:d'), await locks.list('sec:'), await locks.forceRelease('sec:d')]);
      await attempt(capture, () => other.release());
      capture.add([await locks.checkHealth(), locks.getStatistics(), await registry.metrics()]);

      binding.detach();
      await app.close();
      expect(tokens.size).toBeGreaterThanOrEqual(4);
      expect(capture.lines.some((l) => l.includes('acquired "sec:a"'))).toBe(true); // DEBUG output was captured
      expect(capture.lines.some((l) => l.includes('lynx_redis_lock_acquisitions_total'))).toBe(true); // metrics captured
    } finally {
      capture.unhook();
      admin.disconnect();
    }
    const everything = capture.text;
    expect(everything).not.toContain(PASSWORD);
    for (const token of tokens) {
      const secretPart = token.slice(token.lastIndexOf(':') + 1);
      expect(secretPart).toMatch(/^[0-9a-f]{44}$/); // 128 random bits, then the store's 48-bit owner tag
      expect(everything).not.toContain(secretPart.slice(0, 32));
    }
  });

  it('failing AUTH (wrong password in options and URL): every call fails with LockBackendError, nothing prints either password', async () => {
    const capture = new Capture();
    capture.hookProcessOutput();
    const registry = new Registry();
    try {
      const app = await createLockApp(
        {
          addrs: [`redis://default:${WRONG}@127.0.0.1:${redis.port}`],
          password: WRONG,
          logging: { level: 'DEBUG' },
          admin: { enabled: true },
          monitoring: { healthCheckInterval: '50ms' },
          lock: { commandTimeout: '200ms', circuitBreaker: { failureThreshold: 3, resetTimeout: '50ms' } },
        },
        [],
        [],
        capture,
      );
      const { locks } = app;
      capture.listen(locks);
      const binding = bindLockMetrics(locks, registry);
      locks.onApplicationBootstrap(); // start the periodic health probe, which logs DOWN
      const errors = [
        await attempt(capture, () => locks.acquire('auth:1')),
        await attempt(capture, () => locks.tryLock('auth:2')),
        await attempt(capture, () => locks.withLock('auth:3', () => 'never')),
        await attempt(capture, () => locks.inspect('auth:4')),
        await attempt(capture, () => locks.list('auth')),
        await attempt(capture, () => locks.forceRelease('auth:5')),
        ...(await Promise.all(
          Array.from({ length: 5 }, (_, i) => attempt(capture, () => locks.tryLock(`auth:many:${i}`))),
        )), // opens the breaker
      ];
      for (const error of errors) expect(error).toBeInstanceOf(LockBackendError);
      await sleep(200); // health probes and breaker probes run and log
      capture.add([await locks.checkHealth(), locks.getStatistics(), await registry.metrics()]);
      binding.detach();
      await app.close();
    } finally {
      capture.unhook();
    }
    const everything = capture.text;
    expect(everything).toMatch(/WRONGPASS|NOAUTH|invalid (username-)?password|AUTH/i); // the failure itself is reported
    expect(everything).not.toContain(WRONG);
    expect(everything).not.toContain(PASSWORD);
  });
});

describe('key validation blocks injection', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  const HASH_TAG = ['{x}', 'a}b', 'a{b', 'user:{42}:x', '}{', 'x}{y', '{}', 'order}{evil'];
  const CONTROL = ['a\nb', 'a\r\nINFO', 'x\u0000y', '\u001b[31mred', 'tab\there', 'del\u007f', 'line\u000b'];
  // Invisible or text-reordering characters: C1, line/paragraph separators, bidi controls, zero-width.
  const INVISIBLE = [
    'next\u0085line',
    'a\u2028b',
    'a\u2029b',
    'evil\u202egnp.exe',
    'a\u2066b\u2069',
    'ad\u200bmin',
    'a\u200db',
    'a\u2060b',
    '\ufeffbom',
  ];

  it('every entry point refuses names with braces, control, bidi or zero-width characters, and nothing reaches Redis', async () => {
    const app = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], admin: { enabled: true } }, [], [], {
      log() {},
      error() {},
      warn() {},
      debug() {},
    });
    const { locks } = app;
    const client = redis.client();
    const calls: [string, (k: string) => Promise<unknown>][] = [
      ['acquire', (k) => locks.acquire(k, '1s')],
      ['tryLock', (k) => locks.tryLock(k, '1s')],
      ['withLock', (k) => locks.withLock(k, () => 'never')],
      ['lock', (k) => locks.lock(k, '1s', () => 'never')],
      ['lockWithOptions', (k) => locks.lockWithOptions(k, {}, () => 'never')],
      ['lockReentrant', (k) => locks.lockReentrant(k, '1s', () => 'never')],
      ['inspect', (k) => locks.inspect(k)],
      ['forceRelease', (k) => locks.forceRelease(k)],
    ];
    for (const name of [...HASH_TAG, ...CONTROL, ...INVISIBLE]) {
      for (const [label, call] of calls) {
        const error = await call(name).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${label}(${JSON.stringify(name)})`).toBeInstanceOf(InvalidLockKeyError);
        // The message never carries a raw control character (no log injection through the error either).
        expect((error as Error).message).not.toMatch(
          // eslint-disable-next-line no-control-regex -- rejects control characters on purpose
          /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]/,
        );
      }
    }
    for (const prefix of ['{', 'a}', 'x\ny', 'x\u202ey', 'x\u200by', 'x\u0085y']) {
      await expect(locks.list(prefix)).rejects.toBeInstanceOf(InvalidLockOptionsError);
    }
    expect(await client.dbsize()).toBe(0);

    // A valid name's keys all carry exactly the name as hash tag, so they share one Cluster slot.
    const lock = await locks.acquire('ok:name', '2s');
    const keys = await client.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.match(/\{[^}]*\}/g)).toEqual(['{ok:name}']);
    await lock.release();
    client.disconnect();
    await app.close();
  });
});

describe('forceRelease needs admin.enabled', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('is refused by default (the lock stays held, the refusal is logged) and works with admin.enabled', async () => {
    const lines: string[] = [];
    const logger = {
      log: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
      debug() {},
    };
    const plain = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`] }, [], [], logger);
    const adminApp = await createLockApp(
      { addrs: [`127.0.0.1:${redis.port}`], admin: { enabled: true } },
      [],
      [],
      logger,
    );
    try {
      const lock = await plain.locks.acquire('admin:job', '5s');
      const refused = await plain.locks.forceRelease('admin:job').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidLockOptionsError);
      expect(refused).toBeInstanceOf(LockError);
      expect((refused as InvalidLockOptionsError).problems[0].path).toBe('admin.enabled');
      expect(lock.isHeld()).toBe(true);
      expect((await plain.locks.inspect('admin:job')).held).toBe(true);
      expect(lines.some((l) => /forceRelease\("admin:job"\) refused/.test(l))).toBe(true);

      expect(await adminApp.locks.forceRelease('admin:job')).toBe(true);
      expect((await plain.locks.inspect('admin:job')).held).toBe(false);
      expect(await lock.release()).toBe(false); // the holder learns it was taken away
      expect(lines.some((l) => /forceRelease\("admin:job"\): deleted/.test(l))).toBe(true);
    } finally {
      await plain.close();
      await adminApp.close();
    }
  });
});
