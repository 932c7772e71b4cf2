// Our library with `fair: false` (pub/sub wake-up, waiters race), for comparison.
import { adapter } from './ours.mjs';

export const name = 'ours-unfair';
export const create = adapter(false).create;
