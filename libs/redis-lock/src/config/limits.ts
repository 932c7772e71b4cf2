/** Longest TTL or duration accepted anywhere (the largest delay a Node timer supports, ~24.8 days). */
export const MAX_DURATION_MS = 2_147_483_647;
/** Longest lock name in bytes (UTF-8). */
export const MAX_KEY_BYTES = 512;
/** Most keys one multi-key lock may take. */
export const MAX_KEYS_PER_LOCK = 64;
