// Randomized bad input (property-based, fast-check): the public API gets thousands of generated keys,
// TTLs, per-call options, retry settings, module options and YAML files. Whatever comes in, the outcome
// is either correct behaviour or a typed LockError subclass: never another error, a hang, an unhandled
// rejection, or a lock left behind. Bulk runs use the MemoryLockStore; a smaller sample runs on a real
// redis-server. Seeded, so a failure reproduces (fast-check prints the seed and the shrunk case).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidLockKeyError,
  InvalidLockOptionsError,
  LockError,
  LockHandle,
  MemoryLockStore,
  loadYamlConfig,
  resolveModuleOptions,
  type LockService,
} from '@lynx-nest/redis-lock';
import { createLockApp, type LockApp } from './support/lock-app.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const SEED = 20_260_511;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Thrown by generated callbacks; withLock must pass it through unchanged. */
class UserError extends Error {}

/** Settles `promise` or fails the property after `ms` (a hang). */
async function settle<T>(
  promise: Promise<T>,
  ms = 2000,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: no outcome within ${ms} ms`)), ms)),
  );
  try {
    return { ok: true, value: await Promise.race([promise, hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/** An error the API may legitimately produce for this input. */
function expectTyped(error: unknown, allowed: unknown[] = []): void {
  if (allowed.includes(error)) return;
  if (!(error instanceof LockError)) {
    throw new Error(
      `untyped error ${Object.prototype.toString.call(error)}: ${(error as Error)?.stack ?? String(error)}`,
    );
  }
  expect(typeof error.code).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
}

// ---- generators ---------------------------------------------------------------------------------

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    'a{b}c',
    '{tag}',
    'x\u0000y',
    'line\nbreak',
    'tab\tkey',
    '\u007f',
    '\u200b',
    '\u0085',
    '\u2028',
    'a\u202eb',
    '\u2066x\u2069',
    '\ufeff',
    'é',
    '🔒',
    '*',
    '?',
    '[a]',
    'lynx:lock:{x}',
    '..',
    '\\',
  ),
  fc.string({ minLength: 500, maxLength: 700 }),
);
/** Mostly `good`, sometimes `bad`: so that whole inputs are often valid and both outcomes are exercised. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: bad });
const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9:_.\-/ ]{1,40}$/) },
  { weight: 4, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.anything() },
);
const duration = fc.oneof(
  fc.integer({ min: -10, max: 5000 }),
  fc.double({ noDefaultInfinity: false }),
  fc.constantFrom(
    '1ms',
    '10ms',
    '250ms',
    '1s',
    '2.5s',
    '1m',
    '30s',
    '0',
    '-1s',
    '1h',
    '1000d',
    '1e309',
    'NaN',
    'Infinity',
    '10 ms',
    'abc',
    '',
    '5',
    '0x10',
  ),
  fc.constantFrom(null, undefined, true, {}, [], Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, -0),
  fc.string({ maxLength: 8 }),
);
const goodDuration = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('5ms', '250ms', '1s', '2.5s', '30s'));
const retryStrategy = fc.oneof(
  fc.constantFrom('fixed', 'linear', 'exponential', 'exponential_backoff', 'fibonacci', '', 42, null),
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('fixed', 'linear', 'exponential_backoff', 'bogus'), fc.anything()),
      initialInterval: duration,
      maxInterval: duration,
      multiplier: fc.oneof(fc.double(), fc.integer({ min: -5, max: 200 }), fc.anything()),
      maxElapsedTime: duration,
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
  fc.constantFrom<unknown>(
    () => 1,
    () => -5,
    () => Number.NaN,
    () => Infinity,
    () => 'soon',
    () => {
      throw new UserError('retry function failed');
    },
  ),
);
const callOptions = fc.oneof(
  { weight: 1, arbitrary: fc.anything() },
  { weight: 2, arbitrary: fc.constant(undefined) },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        expiration: mostly(goodDuration, duration),
        ttl: mostly(goodDuration, duration),
        retryStrategy: mostly(fc.constantFrom('fixed', 'linear', 'exponential_backoff'), retryStrategy),
        renewalEnabled: mostly(fc.boolean(), fc.anything()),
        renewalThreshold: mostly(
          fc.double({ min: 0.05, max: 0.95, noNaN: true }),
          fc.oneof(fc.double(), fc.constantFrom(0, 1, -1)),
        ),
        maxRetries: mostly(fc.integer({ min: -1, max: 5 }), fc.oneof(fc.double(), fc.anything())),
        retryInterval: mostly(goodDuration, duration),
        maxElapsedTime: mostly(goodDuration, duration),
        reentrant: mostly(fc.boolean(), fc.anything()),
        maxHoldTime: mostly(goodDuration, duration),
        fair: mostly(fc.boolean(), fc.anything()),
        name: mostly(fc.stringMatching(/^[a-z_]{1,12}$/), fc.oneof(nastyString, fc.anything())),
        onLockLost: mostly(
          fc.constant(() => undefined),
          fc.anything(),
        ),
        unknownOption: fc.anything(),
      },
      { requiredKeys: [] },
    ),
  },
);
const moduleOptions = fc.oneof(
  { weight: 1, arbitrary: fc.anything() },
  {
    weight: 8,
    arbitrary: fc.record(
      {
        addrs: mostly(
          fc.constantFrom(
            ['127.0.0.1:6379'],
            ['redis://u:p@h:1/2'],
            ['rediss://h'],
            ['[::1]:6379'],
            ['a:1', 'b:2', 'c:3'],
          ),
          fc.oneof(
            fc.array(nastyString, { maxLength: 3 }),
            fc.constantFrom(
              ['h:99999'],
              [':'],
              ['redis://'],
              ['valkey://:fuzz-pw@h:1'],
              ['u:fuzz-pw@h:1'],
              ['redis://:fuzz-pw@h:99999'],
            ),
            fc.anything(),
          ),
        ),
        password: mostly(fc.string({ maxLength: 20 }), fc.anything()),
        db: mostly(fc.integer({ min: 0, max: 15 }), fc.oneof(fc.integer({ min: -2, max: 20 }), fc.anything())),
        mode: mostly(
          fc.constantFrom('single', 'cluster'),
          fc.oneof(fc.constantFrom('sentinel', 'redlock', 'ring'), fc.anything()),
        ),
        sentinels: mostly(fc.constant(undefined), fc.oneof(fc.array(nastyString, { maxLength: 3 }), fc.anything())),
        keyPrefix: mostly(fc.stringMatching(/^[a-z:]{0,12}$/), fc.oneof(nastyString, fc.anything())),
        instanceId: mostly(fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.oneof(nastyString, fc.anything())),
        name: mostly(fc.stringMatching(/^[a-z]{1,12}$/), fc.oneof(nastyString, fc.anything())),
        tls: mostly(fc.boolean(), fc.anything()),
        client: mostly(fc.constant(undefined), fc.anything()),
        store: mostly(fc.constant(undefined), fc.anything()),
        lock: mostly(
          fc.record(
            {
              defaultTimeout: mostly(fc.constantFrom('30s', '10s', 5000), duration),
              defaultRetryInterval: mostly(goodDuration, duration),
              maxRetries: mostly(fc.integer({ min: -1, max: 10 }), fc.anything()),
              renewalEnabled: mostly(fc.boolean(), fc.anything()),
              renewalThreshold: mostly(
                fc.double({ min: 0.05, max: 0.95, noNaN: true }),
                fc.oneof(fc.double(), fc.anything()),
              ),
              renewalInterval: mostly(fc.constantFrom('10ms', '1s', '10s'), duration),
              commandTimeout: mostly(fc.constantFrom('5ms', '200ms', '1s'), duration),
              maxHoldTime: mostly(goodDuration, duration),
              retryStrategy: mostly(
                fc.record({ type: fc.constantFrom('fixed', 'linear', 'exponential_backoff') }),
                retryStrategy,
              ),
              circuitBreaker: mostly(
                fc.record(
                  {
                    enabled: fc.boolean(),
                    failureThreshold: fc.integer({ min: 1, max: 10 }),
                    resetTimeout: fc.constantFrom('10ms', '1s'),
                  },
                  { requiredKeys: [] },
                ),
                fc.oneof(
                  fc.anything(),
                  fc.record(
                    {
                      enabled: fc.anything(),
                      failureThreshold: fc.oneof(fc.integer({ min: -1, max: 10 }), fc.anything()),
                      resetTimeout: duration,
                    },
                    { requiredKeys: [] },
                  ),
                ),
              ),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        monitoring: mostly(fc.constant(undefined), fc.anything()),
        logging: mostly(
          fc.record({ level: fc.constantFrom('DEBUG', 'info', 'WARN', 'error') }),
          fc.oneof(fc.record({ level: fc.anything() }), fc.anything()),
        ),
        admin: mostly(fc.record({ enabled: fc.boolean() }), fc.anything()),
        shutdown: mostly(fc.constant(undefined), fc.anything()),
        pool: mostly(fc.constant(undefined), fc.anything()),
      },
      { requiredKeys: [] },
    ),
  },
);
/** Module options, sometimes with an unknown (misspelled) option added. */
const moduleOptionsWithTypos = fc.oneof(
  { weight: 6, arbitrary: moduleOptions },
  {
    weight: 1,
    arbitrary: fc
      .tuple(moduleOptions, fc.constantFrom('bogus', 'lock_timeout', 'Addrs', 'passwrd'), fc.anything())
      .map(([o, k, v]) => (o && typeof o === 'object' ? { ...o, [k]: v } : o)),
  },
);

// ---- properties ---------------------------------------------------------------------------------

/** Outcomes seen, so a test can check that both paths (granted, refused) were really exercised. */
const tally = { granted: 0, refused: 0 };

/** One acquisition attempt with generated input; checks the outcome and releases what it got. */
async function exercise(
  locks: LockService,
  k: unknown,
  ttl: unknown,
  options: unknown,
  how: number,
): Promise<string | undefined> {
  const signal = AbortSignal.timeout(300); // bounds legitimate waiting; its reason is the caller's own
  const opts =
    options && typeof options === 'object' && !Array.isArray(options) ? { ...(options as object), signal } : options;
  let outcome;
  if (how === 0) outcome = await settle(locks.tryLock(k as string, ttl as string, opts as never));
  else if (how === 1) outcome = await settle(locks.acquire(k as string, ttl as string, opts as never));
  else {
    const fail = how === 3;
    outcome = await settle(
      locks.withLock(
        k as string,
        async (lock) => {
          expect(lock).toBeInstanceOf(LockHandle); // (isHeld() may already be false with a 1 ms TTL)
          if (fail) throw new UserError('callback failed');
          return 'result';
        },
        opts as never,
      ),
    );
    if (outcome.ok) expect(outcome.value).toBe('result');
    tally[outcome.ok || outcome.error instanceof UserError ? 'granted' : 'refused']++;
    // The callback's own error (and the caller's abort reason) come back unchanged; anything else is a LockError.
    if (!outcome.ok)
      expectTyped(outcome.error, [signal.reason, outcome.error instanceof UserError ? outcome.error : undefined]);
    return typeof k === 'string' ? k : undefined;
  }
  tally[outcome.ok && outcome.value ? 'granted' : 'refused']++;
  if (outcome.ok) {
    const handle = outcome.value;
    if (handle === null) return typeof k === 'string' ? k : undefined; // busy (never here: keys are fresh)
    expect(handle).toBeInstanceOf(LockHandle);
    // Minted on demand; a lock whose tiny TTL already ran out gets no token (LockLostError, typed).
    const fence = await settle(handle.getFence());
    if (fence.ok) expect(Number.isSafeInteger(fence.value) && fence.value > 0).toBe(true);
    else expectTyped(fence.error);
    const released = await settle(handle.release());
    if (!released.ok) expectTyped(released.error);
    expect(handle.isHeld()).toBe(false);
  } else {
    expectTyped(outcome.error, [signal.reason, outcome.error instanceof UserError ? outcome.error : undefined]);
  }
  return typeof k === 'string' ? k : undefined;
}

/** Every valid name that was tried must be free now; the service holds nothing. */
async function expectNoLeaks(locks: LockService, names: Set<string>): Promise<void> {
  expect(locks.getStatistics().activeLocks).toBe(0);
  for (const name of names) {
    const info = await locks.inspect(name).catch((error) => {
      expect(error).toBeInstanceOf(InvalidLockKeyError);
      return undefined;
    });
    if (info) expect({ name, held: info.held }).toEqual({ name, held: false });
  }
}

describe('randomized bad input', () => {
  let redis: RedisServer;
  let memoryApp: LockApp;
  let redisApp: LockApp;
  const yamlDir = mkdtempSync(join(tmpdir(), 'lynx-lock-fuzz-'));

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    redis = await startRedisServer();
    memoryApp = await createLockApp({ store: new MemoryLockStore() }, [], [], { log() {}, error() {}, warn() {} });
    redisApp = await createLockApp({ addrs: [`127.0.0.1:${redis.port}`], lock: { commandTimeout: '500ms' } }, [], [], {
      log() {},
      error() {},
      warn() {},
    });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await memoryApp?.close();
    await redisApp?.close();
    await redis?.stop();
    rmSync(yamlDir, { recursive: true, force: true });
  });

  it('keys, TTLs, per-call options and retry settings (memory store, 3,000 cases): typed errors only, nothing leaked', async () => {
    const names = new Set<string>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        key,
        fc.oneof(fc.constant(undefined), goodDuration, duration),
        callOptions,
        fc.integer({ min: 0, max: 3 }),
        async (k, ttl, options, how) => {
          // A fresh suffix keeps generated names from colliding with each other (valid names stay valid).
          const name = typeof k === 'string' && k.length > 0 && k.length < 400 ? `${k}#${n++}` : k;
          const tried = await exercise(memoryApp.locks, name, ttl, options, how);
          if (tried !== undefined) names.add(tried);
        },
      ),
      { numRuns: 3000, seed: SEED },
    );
    await expectNoLeaks(memoryApp.locks, names);
    // Both outcomes must be common, or the generators only test one path.
    expect(tally.granted).toBeGreaterThan(300);
    expect(tally.refused).toBeGreaterThan(300);
    console.log(`memory store: ${tally.granted} granted, ${tally.refused} refused with a typed error`);
  });

  it('busy locks with generated retry settings (150 cases) never hang and fail typed', async () => {
    const holder = await memoryApp.locks.acquire('fuzz:busy', '10m');
    await fc.assert(
      fc.asyncProperty(retryStrategy, fc.integer({ min: -1, max: 3 }), async (strategy, maxRetries) => {
        const signal = AbortSignal.timeout(120);
        const outcome = await settle(
          memoryApp.locks.acquire('fuzz:busy', '1s', {
            retryStrategy: strategy as never,
            maxRetries,
            maxElapsedTime: '60ms',
            signal,
          }),
        );
        expect(outcome.ok).toBe(false);
        // A custom retry function that throws: its own error comes back unchanged, like withLock's callback's.
        if (!outcome.ok)
          expectTyped(outcome.error, [signal.reason, outcome.error instanceof UserError ? outcome.error : undefined]);
      }),
      { numRuns: 150, seed: SEED },
    );
    expect(holder.isHeld()).toBe(true);
    await holder.release();
    await expectNoLeaks(memoryApp.locks, new Set(['fuzz:busy']));
  });

  it('module options through resolveModuleOptions (3,000 cases): a config or InvalidLockOptionsError', () => {
    let valid = 0;
    fc.assert(
      fc.property(moduleOptionsWithTypos, (options) => {
        try {
          const config = resolveModuleOptions(options);
          valid++;
          expect(config.defaultTtlMs).toBeGreaterThan(config.commandTimeoutMs);
          expect(config.circuitBreaker.failureThreshold).toBeGreaterThanOrEqual(1);
        } catch (error) {
          if (!(error instanceof InvalidLockOptionsError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
          // A password inside a rejected address is never quoted.
          expect(error.message).not.toContain('fuzz-pw');
        }
      }),
      { numRuns: 3000, seed: SEED },
    );
    expect(valid).toBeGreaterThan(150); // valid configurations are exercised too
    console.log(`module options: ${valid} valid of 3000`);
  });

  it('YAML configuration files (600 cases, generated and garbled): options or InvalidLockOptionsError', () => {
    const snakeLock = fc.record(
      {
        default_timeout: duration,
        default_retry_interval: duration,
        max_retries: fc.oneof(fc.integer({ min: -3, max: 9 }), fc.anything()),
        renewal_enabled: fc.anything(),
        renewal_threshold: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()),
        command_timeout: duration,
        retry_strategy: fc.anything(),
        circuit_breaker: fc.anything(),
        bogus_key: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const redisSection = fc.record(
      {
        addrs: fc.oneof(fc.array(nastyString, { maxLength: 3 }), fc.anything()),
        password: fc.oneof(
          fc.constantFrom('${REDIS_PASSWORD}', '${MISSING_VAR}', '${X:-fallback}', '$$literal'),
          nastyString,
        ),
        db: fc.anything(),
        key_prefix: nastyString,
        lock: fc.oneof(snakeLock, fc.anything()),
        monitoring: fc.anything(),
        tls: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const document = fc.oneof(
      { weight: 4, arbitrary: redisSection.map((redisConfig) => stringify({ lynx: { redis: redisConfig } })) },
      { weight: 1, arbitrary: fc.anything().map((x) => stringify(x) ?? '') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      {
        weight: 1,
        arbitrary: fc.tuple(redisSection, fc.nat(), fc.string({ maxLength: 5 })).map(([r, at, junk]) => {
          const text = stringify({ lynx: { redis: r } });
          const i = at % (text.length + 1);
          return text.slice(0, i) + junk + text.slice(i);
        }),
      },
    );
    let n = 0;
    fc.assert(
      fc.property(document, (text) => {
        const path = join(yamlDir, `c${n++}.yaml`);
        writeFileSync(path, text);
        try {
          const options = loadYamlConfig(path, { REDIS_PASSWORD: 'pw' });
          try {
            resolveModuleOptions(options);
          } catch (error) {
            if (!(error instanceof InvalidLockOptionsError)) throw error;
          }
        } catch (error) {
          if (!(error instanceof InvalidLockOptionsError)) throw error;
        }
      }),
      { numRuns: 600, seed: SEED },
    );
  });

  it('a smaller sample on a real redis-server (300 cases): typed errors only, no lock left in Redis', async () => {
    const names = new Set<string>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        key,
        fc.oneof(fc.constant(undefined), goodDuration, duration),
        callOptions,
        fc.integer({ min: 0, max: 3 }),
        async (k, ttl, options, how) => {
          const name = typeof k === 'string' && k.length > 0 && k.length < 400 ? `${k}#r${n++}` : k;
          const tried = await exercise(redisApp.locks, name, ttl, options, how);
          if (tried !== undefined) names.add(tried);
        },
      ),
      { numRuns: 300, seed: SEED },
    );
    await expectNoLeaks(redisApp.locks, names);
    console.log(`memory + redis so far: ${tally.granted} granted, ${tally.refused} refused`);
    // Nothing but fence counters (kept by design) may remain: no lock hash, no queue entry.
    const client = redis.client();
    const leftovers = (await client.keys('*')).filter((k) => !k.endsWith(':fence'));
    client.disconnect();
    expect(leftovers).toEqual([]);
  });

  it('no unhandled rejection happened', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});
