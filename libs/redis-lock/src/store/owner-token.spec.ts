import { describe, expect, it } from 'vitest';
import { newOwnerToken, ownerInstance, redactToken } from './owner-token.js';

describe('newOwnerToken', () => {
  it('gives distinct `<instance>:<32 hex>` tokens across several refills of the random pool', () => {
    const tokens = Array.from({ length: 1000 }, () => newOwnerToken('api-1'));
    for (const token of tokens) expect(token).toMatch(/^api-1:[0-9a-f]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(new Set(tokens.map((t) => t.slice(-32))).size).toBe(tokens.length);
  });

  it('splits and redacts tokens whose instance id contains colons', () => {
    const token = newOwnerToken('host:42');
    expect(ownerInstance(token)).toBe('host:42');
    expect(redactToken(token)).toBe(`host:42:${token.slice(-32, -26)}…`);
  });
});
