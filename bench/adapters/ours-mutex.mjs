// The read-write scenario's baseline: the same workload on our (fair) mutex, every read and every
// write through `withLock(key, fn)`.
import { adapter } from './ours.mjs';

export const name = 'ours-mutex';
export const kinds = ['rw'];
export const create = adapter({ fair: true, rwAsMutex: true }).create;
