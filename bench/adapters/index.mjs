// Every adapter, by name. Each module exports `name` and `create({ port, ttlMs, retryMs })` →
// `{ acquire(key, stop) → handle, release(key, handle), close() }`.
export const ADAPTERS = ['raw-ioredis', 'ours', 'ours-unfair', 'redis-semaphore', 'redlock'];

export function loadAdapter(name) {
  return import(`./${name}.mjs`);
}
