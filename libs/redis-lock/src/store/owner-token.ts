import { randomFillSync } from 'node:crypto';

// CSPRNG bytes drawn 4 KiB at a time: one call per 256 tokens instead of one per token (a
// per-acquisition randomBytes(16) cost about 8% of the client CPU of an uncontended lock).
const pool = Buffer.alloc(4096);
let offset = pool.length;
function random16hex(): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 16);
  offset += 16;
  return hex;
}

/**
 * A fresh owner token for one acquisition: `<instanceId>:<128 random bits as hex>`. Tokens are
 * bearer secrets (whoever knows one can release that lock), so logs show only {@link redactToken}.
 *
 * @example
 * newOwnerToken('api-1'); // 'api-1:9f86d081884c7d659a2feaa0c55ad015'
 */
export function newOwnerToken(instanceId: string): string {
  return `${instanceId}:${random16hex()}`;
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
