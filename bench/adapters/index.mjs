// Every adapter, by name. Each module exports `name`, `kinds` (the scenario kinds it runs: 'mutex',
// 'semaphore', 'rw') and `create({ port, ttlMs, retryMs })` → `{ acquire(key, stop) → handle,
// release(key, handle), close() }` for the mutex scenarios, plus `hold({ key, mode, permits }, stop,
// body)` (take in `mode` 'read' | 'write' | 'permit', run `body`, give back) for the others.
export const ADAPTERS = ['raw-ioredis', 'ours', 'ours-unfair', 'ours-mutex', 'redis-semaphore', 'redlock'];

export function loadAdapter(name) {
  return import(`./${name}.mjs`);
}
