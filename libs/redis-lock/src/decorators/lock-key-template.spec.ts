import { describe, expect, it } from 'vitest';
import { InvalidLockKeyError } from '../errors/index.js';
import { compileLockKey } from './lock-key-template.js';

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
    expect(() => compileLockKey('u:{1.profile.id}')(['a', { profile: null }])).toThrow('but argument 1.profile is null');
    expect(() => compileLockKey('u:{0}')([{ id: 1 }])).toThrow(/is an object; point the placeholder at a string or number/);
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
});
