import { describe, expect, it } from 'vitest';
import { parseAddress } from './redis-client.js';
import { maskAddress, scrubMessage } from './scrub-secrets.js';

describe('maskAddress', () => {
  it.each([
    ['valkey://:pw@h:6379', 'valkey://***@h:6379'],
    ['redis+sentinel://:pw@h:26379', 'redis+sentinel://***@h:26379'],
    [':pw@h:6379', '***@h:6379'],
    ['user:pw@h:6379', '***@h:6379'],
    ['redis://user:p@ss@h:6379/2', 'redis://***@h:6379/2'],
    ['rediss://h:6380?password=pw', 'rediss://h:6380?***'],
    ['redis://h:6379?x=a@b', 'redis://h:6379?***'],
  ])('%s → %s', (addr, masked) => {
    expect(maskAddress(addr)).toBe(masked);
  });

  it('leaves addresses without credentials unchanged', () => {
    for (const addr of ['127.0.0.1:6379', '[::1]:6379', 'redis://cache:6379/2', 'rediss://h', 'host'])
      expect(maskAddress(addr)).toBe(addr);
  });
});

describe('parseAddress quotes what it rejects masked', () => {
  it.each(['valkey://:pw-1@h:6379', 'redis://:pw-1@h:99999', 'redis://:%E0%A4%Apw-1@h:1', 'u:pw-1@h:1', 'h:1:pw-1@x'])(
    '%s',
    (addr) => {
      expect(() => parseAddress(addr)).toThrow(/^cannot parse address "/);
      expect(() => parseAddress(addr)).not.toThrow(/pw-1/);
    },
  );
});

describe('scrubMessage', () => {
  it('removes URL credentials of any scheme and known secrets', () => {
    expect(scrubMessage('connect valkey://:pw@h:1 failed', [])).toBe('connect valkey://***@h:1 failed');
    expect(scrubMessage('to "redis://u:p@ss@h:1/0", then', [])).toBe('to "redis://***@h:1/0", then');
    expect(scrubMessage('WRONGPASS s3cret', ['s3cret', undefined, ''])).toBe('WRONGPASS ***');
  });
});
