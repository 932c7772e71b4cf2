import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidLockKeyError } from '../errors/index.js';
import { compileLockKey } from './lock-key-template.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

describe('compileLockKey', () => {
  it('fills placeholders from arguments and property paths', () => {
    expect(compileLockKey('order:{0}')(['42'])).toEqual(['order:42']);
    expect(compileLockKey('order:{0.id}')([{ id: 7 }])).toEqual(['order:7']);
    expect(compileLockKey('user:{1.profile.id}:{0}')(['x', { profile: { id: 'u9' } }])).toEqual(['user:u9:x']);
    expect(compileLockKey('line:{0.items.1.sku}')([{ items: [{ sku: 'a' }, { sku: 'b' }] }])).toEqual(['line:b']);
    expect(compileLockKey('static')([])).toEqual(['static']);
    expect(compileLockKey(['a:{0}', 'b:{1}'])([1, 2])).toEqual(['a:1', 'b:2']);
    expect(compileLockKey('n:{0}:{1}:{2}')([0, false, 10n])).toEqual(['n:0:false:10']);
  });

  it('accepts typed functions returning one key or several', () => {
    expect(compileLockKey((a: { id: number }) => `o:${a.id}`)([{ id: 3 }])).toEqual(['o:3']);
    expect(compileLockKey((a: string, b: string) => [a, b])(['x', 'y'])).toEqual(['x', 'y']);
    expect(() => compileLockKey(() => 5 as never)([])).toThrow(/must return a string or a non-empty array/);
    expect(() => compileLockKey(() => [])([])).toThrow(InvalidLockKeyError);
  });

  it('names the template and the argument when a value is missing', () => {
    const keyOf = compileLockKey('order:{0.id}');
    expect(() => keyOf([{}])).toThrow('template "order:{0.id}" reads {0.id}, but argument 0.id is undefined');
    expect(() => keyOf([null])).toThrow('but argument 0 is null');
    expect(() => keyOf([])).toThrow('called with 0 argument(s)');
    expect(() => compileLockKey('u:{1.profile.id}')(['a', { profile: null }])).toThrow(
      'but argument 1.profile is null',
    );
    expect(() => compileLockKey('u:{0}')([{ id: 1 }])).toThrow(
      /is an object; point the placeholder at a string or number/,
    );
    try {
      keyOf([{}]);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidLockKeyError);
      expect((error as InvalidLockKeyError).field).toBe('key');
    }
  });

  it('rejects malformed templates when compiled', () => {
    expect(() => compileLockKey('a{0')).toThrow(/without a matching "}"/);
    expect(() => compileLockKey('a}0')).toThrow(/without a matching "{"/);
    expect(() => compileLockKey('a:{x}')).toThrow(/invalid placeholder "\{x\}"/);
    expect(() => compileLockKey('a:{0..id}')).toThrow(/invalid placeholder/);
    expect(() => compileLockKey('')).toThrow(InvalidLockKeyError);
    expect(() => compileLockKey([])).toThrow(InvalidLockKeyError);
  });

  it("escapes separators inside values by default, so a value can never reach another template's key", () => {
    const order = compileLockKey('order:{0}');
    const items = compileLockKey('order:{0}:items');
    expect(order(['5:items'])).toEqual(['order:5%3Aitems']);
    expect(items(['5'])).toEqual(['order:5:items']);
    expect(order(['5:items'])).not.toEqual(items(['5']));
    // Every separator and the escape character itself are encoded; the encoding can be undone exactly.
    expect(order(['a%3Ab'])).toEqual(['order:a%253Ab']);
    expect(order(['a/b|c#d,e;f=g&h?i*j[k]l\\m n{o}p'])).toEqual([
      'order:a%2Fb%7Cc%23d%2Ce%3Bf%3Dg%26h%3Fi%2Aj%5Bk%5Dl%5Cm%20n%7Bo%7Dp',
    ]);
    expect(decodeURIComponent(order(['a/b:c%d'])[0].slice('order:'.length))).toBe('a/b:c%d');
    expect(order(['tab\there\u0085\u2028\u202e\u200b'])).toEqual(['order:tab%09here%C2%85%E2%80%A8%E2%80%AE%E2%80%8B']);
  });

  it('leaves ordinary values unchanged: numbers, ids, UUIDs, e-mail addresses, words in any script', () => {
    const keyOf = compileLockKey('k:{0}');
    for (const value of [
      42,
      'abc-123',
      '550e8400-e29b-41d4-a716-446655440000',
      'user@example.com',
      'v1.2_3~x+y',
      'Zürich',
      '東京',
      10n,
      true,
    ]) {
      expect(keyOf([value])).toEqual([`k:${String(value)}`]);
    }
  });

  it("keyValues 'raw' keeps the old behaviour; 'hash' replaces each value by its SHA-256 (32 hex digits)", () => {
    expect(compileLockKey('order:{0}', 'raw')(['5:items'])).toEqual(['order:5:items']);
    const hashed = compileLockKey('order:{0}:{1}', 'hash')(['5:items', 7]);
    expect(hashed).toEqual([`order:${sha256('5:items')}:${sha256('7')}`]);
    expect(hashed[0]).toMatch(/^order:[0-9a-f]{32}:[0-9a-f]{32}$/);
    expect(() => compileLockKey('order:{0}', 'base64' as never)).toThrow(
      /options.keyValues must be one of escape, hash, raw/,
    );
    // A key function builds the key itself: nothing is escaped.
    expect(compileLockKey((id: string) => `order:${id}`)(['5:items'])).toEqual(['order:5:items']);
  });
});
