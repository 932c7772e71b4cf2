import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LOCK_METRIC_DEFINITIONS, registerLockMetrics } from '@lynx-nest/redis-lock/metrics';

const dashboard = JSON.parse(readFileSync(new URL('../docs/grafana/redis-lock.json', import.meta.url), 'utf8'));

type Panel = { title?: string; targets?: { refId?: string; expr: string }[]; panels?: Panel[] };

/** Every PromQL expression in the dashboard: panel targets (rows included) and template variable queries. */
function queries(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const visit = (panels: Panel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? [])
        out.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    out.push({
      where: `variable $${variable.name}`,
      expr: typeof variable.query === 'string' ? variable.query : variable.query.query,
    });
  }
  return out;
}

/** Metric names referenced by an expression (identifiers followed by a selector, range or `)`/`,`). */
const metricNames = (expr: string) => [...expr.matchAll(/\b(lynx_[a-z0-9_]+)/g)].map((m) => m[1]);

describe('docs/grafana/redis-lock.json', () => {
  // The registry the code builds: names, types and labels come from the library, not from this test.
  const registry = new Registry();
  registerLockMetrics(registry);
  const exported = new Map(
    registry.getMetricsAsArray().map((m) => [
      m.name,
      {
        type: (m as unknown as { constructor: { name: string } }).constructor.name.toLowerCase(),
        labels: (m as unknown as { labelNames: string[] }).labelNames,
      },
    ]),
  );

  it('is a Grafana dashboard with queries', () => {
    expect(dashboard.uid).toBe('lynx-redis-lock');
    expect(queries().length).toBeGreaterThan(10);
    for (const q of queries()) expect(typeof q.expr, q.where).toBe('string');
  });

  it('uses only metric names the code registers, with suffixes their type has', () => {
    expect(exported.size).toBe(Object.keys(LOCK_METRIC_DEFINITIONS).length);
    for (const { where, expr } of queries()) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        const suffix = /_(bucket|sum|count)$/.exec(name)?.[1];
        const base = suffix && !exported.has(name) ? name.slice(0, -suffix.length - 1) : name;
        const metric = exported.get(base);
        expect(metric, `${where} uses "${name}", which the code does not export`).toBeDefined();
        if (base !== name) expect(metric!.type, `${where}: ${name} needs a histogram`).toBe('histogram');
        if (metric!.type === 'histogram')
          expect(base === name, `${where}: a histogram is queried through _bucket/_sum/_count, not "${name}"`).toBe(
            false,
          );
      }
    }
  });

  it('groups and filters only by labels those metrics have', () => {
    for (const { where, expr } of queries()) {
      const labels = new Set(
        metricNames(expr).flatMap(
          (n) => exported.get(n.replace(/_(bucket|sum|count)$/, ''))?.labels ?? exported.get(n)?.labels ?? [],
        ),
      );
      labels.add('le');
      for (const m of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of m[1].split(',').map((s) => s.trim()))
          expect(labels.has(label), `${where}: by (${label})`).toBe(true);
      }
      for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const matcher of m[1].split(',').filter(Boolean)) {
          const label = matcher.split(/=~|!=|!~|=/)[0].trim();
          expect(labels.has(label), `${where}: selector on ${label}`).toBe(true);
        }
      }
    }
  });

  it('shows every metric the code exports', () => {
    const used = new Set(
      queries().flatMap((q) =>
        metricNames(q.expr).map((n) => (exported.has(n) ? n : n.replace(/_(bucket|sum|count)$/, ''))),
      ),
    );
    for (const name of exported.keys()) expect(used.has(name), `${name} has no panel`).toBe(true);
  });
});
