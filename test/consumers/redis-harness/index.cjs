'use strict';
// Helpers of the consumer apps' e2e specs: a throw-away redis-server on a free loopback port, and
// concurrent HTTP calls.
// CommonJS with node built-ins only, so the CommonJS/Jest app and the ESM/Vitest app load it alike.
const { spawn } = require('node:child_process');
const { createServer, Socket } = require('node:net');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

async function startRedisServer() {
  const port = await freePort();
  if (port === 6379) throw new Error('refusing port 6379 (the shared Redis)');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (spawnError) throw new Error(`cannot start redis-server (is it installed?): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid,
    addr: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Sends `count` POSTs to `${base}/counter/increment` at once (each answers `{ value, fence }`), then
 * reads `GET ${base}/counter`. Resolves with the statuses, the values in ascending order, whether the
 * fences rise in that order, and the final count.
 */
async function incrementConcurrently(base, count) {
  const answers = await Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(`${base}/counter/increment`, { method: 'POST' });
      return { status: response.status, body: await response.json() };
    }),
  );
  const bodies = answers.map((a) => a.body).sort((a, b) => a.value - b.value);
  return {
    statuses: answers.map((a) => a.status),
    values: bodies.map((b) => b.value),
    fencesRise: bodies.every((b, i) => i === 0 || b.fence > bodies[i - 1].fence),
    final: (await (await fetch(`${base}/counter`)).json()).value,
  };
}

module.exports = { startRedisServer, incrementConcurrently };
