import { performance } from 'node:perf_hooks';

/**
 * The next fencing token of the counter `key` in `fences` (what the scripts' `mint` does on Redis):
 * above every earlier token of that counter, seeded from the clock in µs so a counter that was never
 * used starts above any token a previous process handed out. The in-process stores share it.
 *
 * @example
 * const fences = new Map<string, number>();
 * const first = nextFence(fences, 'job');
 * nextFence(fences, 'job') > first; // true
 */
export function nextFence(fences: Map<string, number>, key: string): number {
  const fence = Math.max((fences.get(key) ?? 0) + 1, Math.floor((performance.timeOrigin + performance.now()) * 1000));
  fences.set(key, fence);
  return fence;
}
