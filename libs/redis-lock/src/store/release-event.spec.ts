import { describe, expect, it } from 'vitest';
import { decodeReleaseMessage, grantDigest, RELEASED } from './release-event.js';

describe('decodeReleaseMessage', () => {
  it('decodes a grant into a typed hand-off that recognises its new owner only', () => {
    const event = decodeReleaseMessage(`g:1733412345678901:${grantDigest('api-1:abc')}`);
    expect(event).toMatchObject({ kind: 'handedOff', fence: 1733412345678901 });
    if (event.kind !== 'handedOff') throw new Error('not a hand-off');
    expect(event.isFor('api-1:abc')).toBe(true);
    expect(event.isFor('api-1:abd')).toBe(false);
    expect(event.isFor('api-1:abc')).toBe(true); // memoised digest, same answer
  });

  it('reads every other message (a plain release, a malformed grant, nothing) as released', () => {
    for (const message of ['1', undefined, '', 'g:', 'g:12', 'x:1:ab'])
      expect(decodeReleaseMessage(message)).toBe(RELEASED);
  });
});
