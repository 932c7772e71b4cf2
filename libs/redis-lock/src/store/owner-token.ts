import { randomFillSync } from 'node:crypto';

// CSPRNG bytes drawn 4 KiB at a time and turned into hex in one call: one `randomFillSync` and one
// hex conversion per 256 tokens, then a token is a 32-character slice of that string. (A
// per-acquisition randomBytes(16) cost about 8% of the client CPU of an uncontended lock; a
// per-token `toString('hex')` of 16 pool bytes about 0.14 µs, the slice about 0.02 µs.)
const pool = Buffer.alloc(4096);
let hex = '';
let offset = 0;
function random16hex(): string {
  if (offset + 32 > hex.length) {
    randomFillSync(pool);
    hex = pool.toString('hex');
    offset = 0;
  }
  const token = hex.slice(offset, offset + 32);
  offset += 32;
  return token;
}

/**
 * A fresh owner token for one acquisition: `<instanceId>:<128 random bits as hex><tag>`. Tokens are
 * bearer secrets (whoever knows one can release that lock), so logs show only {@link redactToken}.
 * `tag` (default none) is the store's `ownerTag`: the same for every token of one store, so its
 * release script can tell a waiter of the releasing store from others (see `LockStore.ownerTag`).
 *
 * @example
 * newOwnerToken('api-1'); // 'api-1:9f86d081884c7d659a2feaa0c55ad015'
 * newOwnerToken('api-1', '5e0c1a2b3c4d'); // 'api-1:9f86d081884c7d659a2feaa0c55ad0155e0c1a2b3c4d'
 */
export function newOwnerToken(instanceId: string, tag = ''): string {
  return `${instanceId}:${random16hex()}${tag}`;
}

/** The instance part of an owner token (everything before the last `:`). */
export function ownerInstance(token: string): string {
  const cut = token.lastIndexOf(':');
  return cut < 0 ? token : token.slice(0, cut);
}

/** A log-safe form of an owner token: the instance id and the first 6 hex digits. */
export function redactToken(token: string): string {
  const cut = token.lastIndexOf(':');
  return cut < 0 ? '…' : `${token.slice(0, cut)}:${token.slice(cut + 1, cut + 7)}…`;
}
