import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LockService,
  REDIS_LOCK_CONFIG,
  RedisLockModule,
  loadYamlConfig,
  type ResolvedLockConfig,
} from '@lynx-nest/redis-lock';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/** Stands in for @nestjs/config's ConfigService: an injectable that knows where the file is and the environment. */
@Injectable()
class AppConfig {
  file = '';
  env: Record<string, string> = {};
}

describe('YAML configuration through forRootAsync (useFactory)', () => {
  let redis: RedisServer;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedisServer({ args: ['--requirepass', 'yaml-secret-pw'] });
    dir = mkdtempSync(join(tmpdir(), 'lynx-lock-yaml-e2e-'));
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a file in the seed shape with ${VAR} secrets configures a working module', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `app:
  port: 3000            # other settings of the app may share the file
lynx:
  redis:
    addrs: ["\${REDIS_ADDR}"]
    password: "\${REDIS_PASSWORD}"
    db: \${REDIS_DB:-0}
    pool:
      max_active: 100
    lock:
      default_timeout: 20s
      max_retries: 2
      monitoring:
        health_check_interval: 0
`,
    );
    const config = new AppConfig();
    config.file = file;
    config.env = { REDIS_ADDR: `127.0.0.1:${redis.port}`, REDIS_PASSWORD: 'yaml-secret-pw' };

    @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
    class ConfigModule {}

    const module = await Test.createTestingModule({
      imports: [
        RedisLockModule.forRootAsync({
          imports: [ConfigModule],
          inject: [AppConfig],
          useFactory: (c: AppConfig) => loadYamlConfig(c.file, c.env),
        }),
      ],
    }).compile();
    await module.init();
    try {
      const resolved = module.get<ResolvedLockConfig>(REDIS_LOCK_CONFIG);
      expect(resolved.defaultTtlMs).toBe(20_000);
      expect(resolved.retry.maxRetries).toBe(2);
      expect(resolved.connection.mode).toBe('single');
      expect(resolved.poolConfigured).toBe(true);
      const locks = module.get(LockService);
      const fence = await locks.withLock('yaml-job', (lock) => lock.getFence());
      expect(fence).toBeGreaterThan(0);
    } finally {
      await module.close();
    }
  });

  it('a broken file fails start-up with the file, the YAML path and the reason', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'lynx:\n  redis:\n    lock:\n      renewal_threshold: 7\n');
    const build = Test.createTestingModule({
      imports: [RedisLockModule.forRootAsync({ useFactory: () => loadYamlConfig(file, {}) })],
    }).compile();
    await expect(build).rejects.toThrow(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*lynx\\.redis\\.lock\\.renewal_threshold must not be greater than 0\\.95`,
      ),
    );
  });
});
