import { createHash } from 'node:crypto';

/**
 * A hand-off a store made to its own waiter before Redis answered (docs/fair-locking.md, "In-process
 * hand-off"): the lock stays held by the releaser's token until Redis runs the hand-over, so the new
 * holding is valid no longer than the releaser's was (`until`) until `confirmed` says Redis made it
 * the owner (with the token the hand-over minted) or did not (`undefined`: the releaser no longer held
 * the lock, so neither does the waiter).
 *
 * @example
 * if (event.kind === 'handedOff' && event.provisional) {
 *   const fence = await event.provisional.confirmed; // undefined: not the owner
 * }
 */
export interface ProvisionalHandOff {
  /** Monotonic time (ms, `performance.now()`) the releasing holding's validity ended. */
  readonly until: number;
  /** The new holding's fencing token once Redis made the waiter the owner, `undefined` when it did not (never rejects). */
  readonly confirmed: Promise<number | undefined>;
}

/**
 * What a lock's release channel reports, decoded by the store (the lock layer never sees the wire
 * format): the lock is free (`released`: a release nobody was handed, a force release), or a
 * release handed it straight to the fair queue's head (`handedOff`, with the new holding's token,
 * `undefined` for an in-process hand-off, which Redis has not answered yet: see `provisional`).
 * `isFor(owner)` says whether the hand-off made `owner` the holder.
 *
 * @example
 * store.onRelease('job', (event) => {
 *   if (event.kind === 'handedOff' && event.isFor(myOwner)) useLock(event.fence);
 * });
 */
export type ReleaseEvent =
  | { readonly kind: 'released' }
  | {
      readonly kind: 'handedOff';
      readonly fence: number | undefined;
      isFor(owner: string): boolean;
      readonly provisional?: ProvisionalHandOff;
    };

/**
 * A listener of {@link ReleaseEvent}s (see `LockStore.onRelease`).
 *
 * @example
 * const listener: ReleaseListener = (event) => console.log(event.kind);
 */
export type ReleaseListener = (event: ReleaseEvent) => void;

/** The `released` event (one shared instance). */
export const RELEASED: ReleaseEvent = Object.freeze({ kind: 'released' });

/**
 * SHA-1 of an owner token: how a hand-off grant names the new owner on the release channel without
 * publishing the token itself (the release script computes the same with `redis.sha1hex`).
 *
 * @example
 * grantDigest('api-1:9f86…'); // 40 hex digits
 */
export function grantDigest(owner: string): string {
  return createHash('sha1').update(owner).digest('hex');
}

// Every waiter of a lock in this process checks every grant of it: hash each owner token once.
const digests = new Map<string, string>();
function digestOf(owner: string): string {
  let digest = digests.get(owner);
  if (digest === undefined) {
    if (digests.size >= 1024) digests.clear();
    digest = grantDigest(owner);
    digests.set(owner, digest);
  }
  return digest;
}

/**
 * Decodes a release-channel message: a hand-off grant `g:<fence>:<sha1(owner)>` (see RELEASE in
 * fair-lock-scripts.ts), or `g:<fence>:<sha1>,<sha1>,...` for several owners granted the same token
 * at once (a run of readers, see permit-scripts.ts), anything else a plain release.
 *
 * @example
 * decodeReleaseMessage('1'); // { kind: 'released' }
 * decodeReleaseMessage('g:17:ab…'); // { kind: 'handedOff', fence: 17, isFor(owner) }
 */
export function decodeReleaseMessage(message: string | undefined): ReleaseEvent {
  if (!message || !message.startsWith('g:')) return RELEASED;
  const cut = message.indexOf(':', 2);
  if (cut < 0) return RELEASED;
  // One digest, or several separated by commas (a run of readers granted together with one token):
  // a digest is 40 hex digits, so a match inside the list is always a whole entry.
  const granted = message.slice(cut + 1);
  return {
    kind: 'handedOff',
    fence: Number(message.slice(2, cut)),
    isFor: (owner) => granted.includes(digestOf(owner)),
  };
}
