import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { maskAddress } from '@lynx-nest/redis-lock';
import { startDemoCluster } from './cluster-runner.js';
import { configuredRedisUrl, loadDemoConfig } from './demo-config.js';
import { resolveDemoBackend } from './redis-bootstrap.js';

// `npm run demo:cluster`: three demo instances (ports 3001-3003, or CLUSTER_PORTS=a,b,c) sharing
// one Redis: REDIS_URL or the config's address when it answers, otherwise one private
// redis-server started here and passed to every instance.
const logger = new Logger('DemoCluster');
const backend = await resolveDemoBackend(configuredRedisUrl(await loadDemoConfig()));
if (backend.kind !== 'redis') {
  logger.error('demo:cluster needs Redis (the memory store is per process). Install redis-server or set REDIS_URL.');
  process.exit(1);
}
const ports = (process.env.CLUSTER_PORTS ?? '3001,3002,3003').split(',').map(Number);
let cluster: Awaited<ReturnType<typeof startDemoCluster>>;
try {
  cluster = await startDemoCluster({ redisUrl: backend.url, ports });
} catch (error) {
  logger.error((error as Error).message);
  backend.stop();
  process.exit(1);
}
logger.log(
  `${cluster.urls.length} instances share ${backend.private ? 'a private redis-server' : 'Redis'} at ${maskAddress(backend.url)}:`,
);
for (const url of cluster.urls) logger.log(`  live page ${url}/`);
logger.log('Fire reservations at all of them: npm run demo:load   (Ctrl-C stops the cluster)');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.log(`${signal}: stopping the instances`);
  await cluster.stop();
  backend.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
for (const instance of cluster.instances) {
  instance.process.once('exit', (code) => {
    if (!stopping) logger.warn(`${instance.id} exited (code ${code}); the others keep running`);
  });
}
