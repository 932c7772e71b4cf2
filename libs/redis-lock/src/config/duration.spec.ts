import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['250', 250],
    ['100ms', 100],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['500us', 1],
    ['1d', 86_400_000],
    [0, 0],
  ])('%s -> %s ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([['soon'], [''], ['-5s'], [-1], [Number.NaN], [Infinity], ['10 s'], ['5x'], [null], [{}], ['s']])(
    'rejects %s',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});
