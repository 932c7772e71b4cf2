import { describe, expect, it } from 'vitest';
import { newOwnerToken, ownerInstance, redactToken } from './owner-token.js';

describe('newOwnerToken', () => {
  it('gives distinct `<instance>:<32 hex>` tokens across several refills of the random pool', () => {
    const tokens = Array.from({ length: 1000 }, () => newOwnerToken('api-1'));
    for (const token of tokens) expect(token).toMatch(/^api-1:[0-9a-f]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(new Set(tokens.map((t) => t.slice(-32))).size).toBe(tokens.length);
  });

  it("ends with the store's tag when given one, after the random part; instance and redaction unchanged", () => {
    const token = newOwnerToken('api-1', '5e0c1a2b3c4d');
    expect(token).toMatch(/^api-1:[0-9a-f]{32}5e0c1a2b3c4d$/);
    expect(ownerInstance(token)).toBe('api-1');
    expect(redactToken(token)).toBe(`api-1:${token.slice(6, 12)}…`);
    expect(newOwnerToken('api-1', '5e0c1a2b3c4d').slice(6, 38)).not.toBe(token.slice(6, 38));
  });

  it('splits and redacts tokens whose instance id contains colons', () => {
    const token = newOwnerToken('host:42');
    expect(ownerInstance(token)).toBe('host:42');
    expect(redactToken(token)).toBe(`host:42:${token.slice(-32, -26)}…`);
  });
});
