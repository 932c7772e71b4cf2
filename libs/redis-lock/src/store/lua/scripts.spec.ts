import { describe, expect, it } from 'vitest';
import { SET_WAITS_FOR, WAITS_FOR } from './deadlock-scripts.js';
import { FAIR_LOCK_SCRIPTS } from './fair-lock-scripts.js';
import { LOCK_SCRIPTS } from './lock-scripts.js';
import { ACQUIRE_MANY } from './multi-lock-scripts.js';
import { PERMIT_SCRIPTS } from './permit-scripts.js';

const ALL = [...LOCK_SCRIPTS, ...FAIR_LOCK_SCRIPTS, ACQUIRE_MANY, SET_WAITS_FOR, WAITS_FOR, ...PERMIT_SCRIPTS];

describe('Lua scripts', () => {
  // The scripts are assembled from shared helpers; __snapshots__/scripts.lua shows each one whole, as
  // Redis runs it. A change to any body shows up there in review (update with `vitest -u`).
  it('every assembled script, readable whole in one file', async () => {
    const text = ALL.map((s) => `-- ${s.name}: ${s.keys || 'per-call'} KEYS, sha1 ${s.sha}\n${s.body}\n`).join('\n');
    await expect(text).toMatchFileSnapshot('./__snapshots__/scripts.lua');
  });

  it('have unique names and bodies, and no helper hard-codes a key beyond the lock (KEYS[1])', () => {
    expect(new Set(ALL.map((s) => s.name)).size).toBe(ALL.length);
    expect(new Set(ALL.map((s) => s.sha)).size).toBe(ALL.length);
    for (const script of ALL) {
      for (const fn of script.body.matchAll(/local function (\w+)\(([^)]*)\)\n([\s\S]*?)\nend\n/g)) {
        expect({ helper: fn[1], fixedKeys: /KEYS\[[2-9]\]/.test(fn[3]) }).toEqual({ helper: fn[1], fixedKeys: false });
      }
    }
  });
});
