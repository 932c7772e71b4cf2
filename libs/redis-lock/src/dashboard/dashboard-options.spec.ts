import { describe, expect, it } from 'vitest';
import { InvalidLockOptionsError } from '../errors/index.js';
import { DASHBOARD_DEFAULTS, resolveDashboardRoute, resolveDashboardSettings } from './dashboard-options.js';

/** The problems of the InvalidLockOptionsError that `fn` throws. */
function problems(fn: () => unknown): Array<{ path: string; problem: string }> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidLockOptionsError);
    return [...(error as InvalidLockOptionsError).problems];
  }
  throw new Error('expected InvalidLockOptionsError');
}

describe('dashboard options', () => {
  it('strips the slashes around the path; "" and "/" mount at the root', () => {
    expect(resolveDashboardRoute({ path: '/admin/locks/' }).path).toBe('admin/locks');
    expect(resolveDashboardRoute({ path: 'ops.v2/lock-page' }).path).toBe('ops.v2/lock-page');
    expect(resolveDashboardRoute({ path: '/' }).path).toBe('');
    expect(resolveDashboardRoute({ path: '' }).path).toBe('');
  });

  it.each([':id', 'admin/*', 'admin//locks', 'a b', 'locks?x=1', '<script>'])('refuses the path %j', (path) => {
    expect(problems(() => resolveDashboardRoute({ path })).map((p) => p.path)).toEqual(['path']);
  });

  it('refuses a missing path and a guard that is neither a class nor has canActivate, naming both', () => {
    const bad = { path: undefined as unknown as string, guard: { allow: true } as never };
    const found = problems(() => resolveDashboardRoute(bad));
    expect(found.map((p) => p.path)).toEqual(['path', 'guard']);
    expect(problems(() => resolveDashboardRoute(undefined as never)).map((p) => p.path)).toEqual(['path']);
  });

  it('accepts a guard class and a guard instance', () => {
    class Guard {
      canActivate() {
        return true;
      }
    }
    expect(resolveDashboardRoute({ path: 'x', guard: Guard }).guard).toBe(Guard);
    const instance = new Guard();
    expect(resolveDashboardRoute({ path: 'x', guard: instance }).guard).toBe(instance);
  });

  it('fills in the defaults and converts the refresh interval to ms', () => {
    const defaults = resolveDashboardSettings(undefined);
    expect(defaults).toEqual({ service: DASHBOARD_DEFAULTS.service, limit: 200, refreshMs: 1000 });
    const given = resolveDashboardSettings({ service: 'billing', limit: 5, refreshInterval: '2.5s' });
    expect(given).toEqual({ service: 'billing', limit: 5, refreshMs: 2500 });
  });

  it('names every bad setting at once', () => {
    const found = problems(() => resolveDashboardSettings({ service: '', limit: 1001, refreshInterval: '10ms' }));
    expect(found.map((p) => p.path)).toEqual(['service', 'limit', 'refreshInterval']);
    expect(problems(() => resolveDashboardSettings({ limit: 1.5 })).map((p) => p.path)).toEqual(['limit']);
    const soon = problems(() => resolveDashboardSettings({ refreshInterval: 'soon' }));
    expect(soon.map((p) => p.path)).toEqual(['refreshInterval']);
  });
});
