// A small TCP fault proxy for the fault suite (no dependencies; RELIABILITY.md §3.8). It forwards
// `listenPort` to a target and can, at run time:
//   - `delay(ms)`: hold every chunk `ms` before forwarding, both directions, order preserved;
//   - `stall()`:   a partition: bytes are queued, sockets stay open; `pass()` flushes them in order
//                  (what TCP retransmission does after a heal). Bytes are never dropped inside a live
//                  connection: with RESP that would pair the next reply with the previous command;
//   - `reset()`:   destroy every connection (RST); clients reconnect;
//   - `retarget(port, host)`: send new connections elsewhere (a "virtual IP" moving on failover).
import { createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';

export class FaultProxy {
  /**
   * @param {{ targetPort: number, targetHost?: string, listenHost?: string }} options
   */
  constructor(options) {
    this.target = { port: options.targetPort, host: options.targetHost ?? '127.0.0.1' };
    this.listenHost = options.listenHost ?? '127.0.0.1';
    this.mode = 'pass';
    this.delayMs = 0;
    this.pairs = new Set();
    this.server = createServer((client) => this.accept(client));
  }

  /** Starts listening on a free port (or `port`); resolves with the port. */
  listen(port = 0) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.listenHost, () => resolve((this.port = this.server.address().port)));
    });
  }

  accept(client) {
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (chunk) => this.forward(pair, 0, upstream, chunk));
    upstream.on('data', (chunk) => this.forward(pair, 1, client, chunk));
  }

  forward(pair, dir, to, chunk) {
    // One FIFO per direction: a chunk never overtakes an earlier one, whatever the mode changes.
    const fifo = (pair.fifo ??= [
      { items: [], timer: undefined },
      { items: [], timer: undefined },
    ])[dir];
    fifo.to = to;
    fifo.items.push({ at: performance.now() + (this.mode === 'delay' ? this.delayMs : 0), chunk });
    this.drain(fifo);
  }

  drain(fifo) {
    if (this.mode === 'stall') return; // kept queued; pass() drains
    clearTimeout(fifo.timer);
    fifo.timer = undefined;
    const now = performance.now();
    while (fifo.items.length > 0 && fifo.items[0].at <= now) {
      const { chunk } = fifo.items.shift();
      if (!fifo.to.destroyed) fifo.to.write(chunk);
    }
    if (fifo.items.length > 0) fifo.timer = setTimeout(() => this.drain(fifo), Math.max(1, fifo.items[0].at - now));
  }

  pass() {
    this.mode = 'pass';
    for (const pair of this.pairs) {
      for (const fifo of pair.fifo ?? []) {
        for (const item of fifo.items) item.at = 0; // flush what waited during a stall or delay, in order
        this.drain(fifo);
      }
    }
  }

  stall() {
    this.mode = 'stall';
  }

  delay(ms) {
    this.delayMs = ms;
    this.mode = 'delay';
  }

  reset() {
    for (const pair of [...this.pairs]) {
      if (pair.client.resetAndDestroy) pair.client.resetAndDestroy();
      else pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  retarget(port, host = this.target.host) {
    this.target = { port, host };
  }

  close() {
    this.reset();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
