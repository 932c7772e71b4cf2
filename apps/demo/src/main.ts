import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { configuredRedisUrl, demoConfigPath, loadDemoConfig } from './demo-config.js';
import { DemoLogger } from './demo-logger.js';
import { demoSettings } from './demo-settings.js';
import { resolveDemoBackend } from './redis-bootstrap.js';
import { startDemoTracing } from './demo-tracing.js';

// The demo: `npm run demo`. Reads apps/demo/config.yaml, finds a Redis (REDIS_URL, the file's
// address, a private redis-server, or the memory store), and serves the inventory API, /locks,
// /health, /metrics and the live page at / on PORT (default 3000). DEMO_TRACING=console prints
// OpenTelemetry spans (see demo-tracing.ts).
const logger = new Logger('Demo');
const file = await loadDemoConfig();
const backend = await resolveDemoBackend(configuredRedisUrl(file));
const nestLogger = new DemoLogger();
nestLogger.setLogLevels(
  process.env.DEMO_DEBUG ? ['log', 'warn', 'error', 'fatal', 'debug'] : ['log', 'warn', 'error', 'fatal'],
);
const tracing = await startDemoTracing();
const app = await NestFactory.create(AppModule.register(backend, file), { logger: nestLogger });
if (tracing) app.use(tracing.middleware);

let closing: Promise<void> | undefined;
const shutdown = (signal: string) =>
  (closing ??= (async () => {
    logger.log(`${signal}: releasing locks and closing`);
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    await app.close().catch((error: Error) => logger.error(`shutdown failed: ${error.message}`));
    await tracing?.shutdown().catch(() => undefined);
    backend.stop();
    clearTimeout(force);
    process.exit(0);
  })());
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

const host = process.env.HOST ?? '127.0.0.1';
try {
  await app.listen(demoSettings.port, host);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  logger.error(
    code === 'EADDRINUSE'
      ? `port ${demoSettings.port} is in use: start with PORT=<another port> npm run demo`
      : (error as Error).message,
  );
  await app.close().catch(() => undefined);
  backend.stop();
  process.exit(1);
}
const where =
  backend.kind === 'redis'
    ? backend.private
      ? `a private redis-server (${backend.url})`
      : `Redis at ${new URL(backend.url).host}`
    : 'the IN-MEMORY store';
logger.log(`Instance ${demoSettings.instanceId} with locks on ${where}, config ${demoConfigPath()}`);
if (tracing) logger.log(`Tracing: spans to ${tracing.target} (DEMO_TRACING=${process.env.DEMO_TRACING})`);
logger.log(
  `Live lock page: http://${host}:${demoSettings.port}/   (also /locks, /inventory, /report, /health, /metrics)`,
);
