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
  it.each([[''], ['a{b'], ['b}'], ['tab\tkey'], ['nul\0'], ['x'.repeat(513)], [undefined], [7]])('rejects %j with InvalidLockKeyError naming the field', (name) => {
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
  });
  it('accepts ordinary names, including unicode up to 512 bytes', () => {
    expect(assertLockName('order:42:ü')).toBe('order:42:ü');
    expect(assertLockName('x'.repeat(512))).toHaveLength(512);
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
    expect(scrubMessage('WRONGPASS s3cret at redis://u:s3cret@h:1', ['s3cret'])).toBe('WRONGPASS *** at redis://***@h:1');
    const error = Object.assign(new Error('auth failed for hunter2'), { command: { name: 'auth', args: ['u', 'hunter2'] }, code: 'E' });
    const clean = scrubError(error, ['hunter2']);
    expect(JSON.stringify(clean)).not.toContain('hunter2');
    expect(clean).toEqual({ name: 'Error', message: 'auth failed for ***', code: 'E' });
  });
});
