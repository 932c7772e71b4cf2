import { describe, expect, it } from 'vitest';
import { resolveModuleOptions } from '../config/validate-options.js';
import { InvalidLockOptionsError } from '../errors/index.js';
import { resolveCallOptions } from './resolve-call-options.js';

const config = resolveModuleOptions({});
const defaults = { reentrant: true, renew: true };

describe('resolveCallOptions: the name label', () => {
  it('accepts an ordinary label and keeps it', () => {
    expect(resolveCallOptions(config, { name: 'Orders.charge' }, defaults).label).toBe('Orders.charge');
  });

  it.each([
    ['a C0 control', 'a\nb'],
    ['a C1 control', 'a\u0085b'],
    ['a bidi override', 'a\u202eb'],
    ['a zero-width space', 'a\u200bb'],
    ['a line separator', 'a\u2028b'],
  ])('refuses %s (it reaches logs and metric labels) with InvalidLockOptionsError naming options.name', (_, name) => {
    let error: unknown;
    try {
      resolveCallOptions(config, { name }, defaults);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    expect((error as Error).message).toContain('options.name');
  });
});
