// A child process of the multi-process scenario: `node worker.mjs <adapter> <port> <json options>`.
// Waits for "go" on IPC, runs the load, sends the raw samples back, exits.
import './command-counter.mjs';
import { loadAdapter } from './adapters/index.mjs';
import { runLoad } from './load.mjs';

const [adapterName, port, json] = process.argv.slice(2);
const options = JSON.parse(json);
const mod = await loadAdapter(adapterName);
const lib = await mod.create({ port: Number(port), ttlMs: options.ttlMs, retryMs: options.retryMs });
process.send({ ready: true });
process.once('message', async () => {
  const result = await runLoad(lib, {
    workers: options.workers,
    durationMs: options.durationMs,
    holdMs: options.holdMs,
    keyOf: () => options.key,
  });
  await Promise.race([lib.close(), new Promise((r) => setTimeout(r, 1000))]).catch(() => undefined);
  process.send({ result }, () => process.exit(0));
});
