// Counts the commands this process's ioredis clients send (round trips as the client sees them;
// commands run inside a Lua script are not sent, so they are not counted). Works for every
// library that uses ioredis (ours, raw, redis-semaphore, @sesamecare-oss/redlock).
import { Redis } from 'ioredis';

const counts = new Map();
const original = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, stream) {
  const name = String(command?.name ?? '?').toLowerCase();
  counts.set(name, (counts.get(name) ?? 0) + 1);
  return original.call(this, command, stream);
};

/** Snapshot of the counts so far: { total, byName }. */
export function commandCounts() {
  const byName = Object.fromEntries(counts);
  return { total: [...counts.values()].reduce((a, b) => a + b, 0), byName };
}

/** Difference of two snapshots. */
export function diffCounts(after, before) {
  const byName = {};
  for (const [name, n] of Object.entries(after.byName)) {
    const d = n - (before.byName[name] ?? 0);
    if (d) byName[name] = d;
  }
  return { total: after.total - before.total, byName };
}
