// Our library with `fair: false` (pub/sub wake-up, waiters race), for comparison. Mutex only: the
// semaphore and the read-write lock always queue.
import { adapter } from './ours.mjs';

export const name = 'ours-unfair';
export const kinds = ['mutex'];
export const create = adapter({ fair: false }).create;
