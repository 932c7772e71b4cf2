import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { MAX_HOLD_MS, parseHoldMs, pause } from './demo-hold.js';

describe('the demo endpoints’ ?holdMs= parameter', () => {
  it('takes whole milliseconds from 0 to MAX_HOLD_MS, the fallback when absent', () => {
    expect(parseHoldMs('250')).toBe(250);
    expect(parseHoldMs('0', 200)).toBe(0);
    expect(parseHoldMs(undefined, 200)).toBe(200);
    expect(parseHoldMs('')).toBe(0);
    expect(parseHoldMs(String(MAX_HOLD_MS))).toBe(MAX_HOLD_MS);
    for (const bad of ['-1', '1.5', '1e3', 'abc', String(MAX_HOLD_MS + 1)]) {
      expect(() => parseHoldMs(bad), bad).toThrow(BadRequestException);
    }
  });

  it('pause stops with the signal’s reason when the lock is lost', async () => {
    const controller = new AbortController();
    const waiting = pause(10_000, controller.signal);
    controller.abort(new Error('lost'));
    await expect(waiting).rejects.toThrow('lost');
    await expect(pause(10, controller.signal)).rejects.toThrow('lost'); // already aborted: at once
    await expect(pause(1)).resolves.toBeUndefined();
  });
});
