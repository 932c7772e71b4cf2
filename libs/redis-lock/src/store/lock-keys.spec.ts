import { describe, expect, it } from 'vitest';
import { InvalidLockKeyError } from '../errors/index.js';
import { assertLockName, lockKeys, nameFromLockKey } from './lock-keys.js';
import { newOwnerToken, ownerInstance, redactToken } from './owner-token.js';
import { scrubError, scrubMessage } from './scrub-secrets.js';

describe('lock keys', () => {
  it('share one hash tag per lock', () => {
    expect(lockKeys('lynx:lock:', 'job:1')).toEqual({
      lock: 'lynx:lock:{job:1}',
      fence: 'lynx:lock:{job:1}:fence',
      waits: 'lynx:lock:{job:1}:w',
      queue: 'lynx:lock:{job:1}:q',
      waiters: 'lynx:lock:{job:1}:qw',
      channel: 'lynx:lock:{job:1}:released',
    });
    expect(nameFromLockKey('lynx:lock:', 'lynx:lock:{job:1}')).toBe('job:1');
    expect(nameFromLockKey('lynx:lock:', 'lynx:lock:{job:1}:fence')).toBeUndefined();
  });
  it.each([[''], ['a{b'], ['b}'], ['tab\tkey'], ['nul\0'], ['x'.repeat(513)], [undefined], [7]])(
    'rejects %j with InvalidLockKeyError naming the field',
    (name) => {
      const error = (() => {
        try {
          assertLockName(name, 'keys[2]');
        } catch (e) {
          return e;
        }
      })() as InvalidLockKeyError;
      expect(error).toBeInstanceOf(InvalidLockKeyError);
      expect(error.field).toBe('keys[2]');
      expect(error.message).toContain('keys[2]');
    },
  );
  // Characters that are invisible, reorder text or break lines: in a log line they forge or hide text.
  it.each([
    ['C0 control', 'U+000A'],
    ['C0 escape', 'U+001B'],
    ['DEL', 'U+007F'],
    ['C1 control', 'U+0080'],
    ['C1 next line', 'U+0085'],
    ['C1 control', 'U+009F'],
    ['line separator', 'U+2028'],
    ['paragraph separator', 'U+2029'],
    ['bidi embedding', 'U+202A'],
    ['bidi override', 'U+202E'],
    ['bidi isolate', 'U+2066'],
    ['bidi isolate end', 'U+2069'],
    ['zero-width space', 'U+200B'],
    ['zero-width non-joiner', 'U+200C'],
    ['zero-width joiner', 'U+200D'],
    ['word joiner', 'U+2060'],
    ['byte order mark', 'U+FEFF'],
  ])('rejects a %s (%s) naming its code point, and carries it nowhere raw', (_, codePoint) => {
    const ch = String.fromCodePoint(parseInt(codePoint.slice(2), 16));
    const name = `order:${ch}42`;
    let error: InvalidLockKeyError | undefined;
    try {
      assertLockName(name);
    } catch (e) {
      error = e as InvalidLockKeyError;
    }
    expect(error).toBeInstanceOf(InvalidLockKeyError);
    expect(error!.message).toContain(`${codePoint} (`);
    expect(error!.message).toContain('at position 6');
    for (const text of [error!.message, error!.key ?? '']) expect(text).not.toContain(ch);
    expect(error!.key).toBe(`order:\\u${codePoint.slice(2).toLowerCase()}42`);
  });
  it('accepts ordinary names, including unicode up to 512 bytes', () => {
    expect(assertLockName('order:42:ü')).toBe('order:42:ü');
    expect(assertLockName('x'.repeat(512))).toHaveLength(512);
    // Visible characters next to the refused ranges stay allowed.
    for (const name of ['a\u00a0b', 'café', 'a\u2027b', 'a\u202fb', 'a\u2065b', 'a\u206ab', 'a\u200eb', '東京', '🔒'])
      expect(assertLockName(name)).toBe(name);
  });
});

describe('owner tokens', () => {
  it('are unique 128-bit tokens prefixed by the instance, and redact to a short form', () => {
    const a = newOwnerToken('host:1');
    const b = newOwnerToken('host:1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^host:1:[0-9a-f]{32}$/);
    expect(ownerInstance(a)).toBe('host:1');
    expect(redactToken(a)).toMatch(/^host:1:[0-9a-f]{6}…$/);
    expect(redactToken(a)).not.toContain(a.slice(-26));
  });
});

describe('secret scrubbing', () => {
  it('removes known secrets and URL credentials', () => {
    expect(scrubMessage('WRONGPASS s3cret at redis://u:s3cret@h:1', ['s3cret'])).toBe(
      'WRONGPASS *** at redis://***@h:1',
    );
    const error = Object.assign(new Error('auth failed for hunter2'), {
      command: { name: 'auth', args: ['u', 'hunter2'] },
      code: 'E',
    });
    const clean = scrubError(error, ['hunter2']);
    expect(JSON.stringify(clean)).not.toContain('hunter2');
    expect(clean).toEqual({ name: 'Error', message: 'auth failed for ***', code: 'E' });
  });
});
