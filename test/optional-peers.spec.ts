import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../libs/redis-lock/src/', import.meta.url));

/** Static (not `import()`) module specifiers of a TypeScript file, type-only imports excluded. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"`;]*?\bfrom\s+['"]([^'"]+)['"]/gm))
    if (!m[2]) out.push(m[3]);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

/** Every package a file reaches through static imports (relative imports followed). */
function packagesReachedFrom(entry: string): { packages: Set<string>; files: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(entry);
  return { packages, files };
}

describe('optional peers stay behind subpath exports', () => {
  it('the package root never imports Terminus, prom-client or @willsoto/nestjs-prometheus', () => {
    const { packages, files } = packagesReachedFrom(`${src}index.ts`);
    expect(files.size).toBeGreaterThan(20); // the walk followed the import graph
    expect(packages.has('@nestjs/common')).toBe(true);
    for (const peer of ['@nestjs/terminus', 'prom-client', '@willsoto/nestjs-prometheus'])
      expect(packages.has(peer), peer).toBe(false);
    for (const file of files) expect(file.includes('/metrics/') || file.includes('/health/'), file).toBe(false);
  });

  it('./metrics needs prom-client and the Nest integration, not Terminus; ./health needs Terminus, not prom-client', () => {
    const metrics = packagesReachedFrom(`${src}metrics/index.ts`).packages;
    expect(metrics.has('prom-client')).toBe(true);
    expect(metrics.has('@willsoto/nestjs-prometheus')).toBe(true);
    expect(metrics.has('@nestjs/terminus')).toBe(false);
    const health = packagesReachedFrom(`${src}health/index.ts`).packages;
    expect(health.has('@nestjs/terminus')).toBe(true);
    expect(health.has('prom-client')).toBe(false);
  });

  it('./dashboard needs no optional peer; the package root never reaches it (nothing mounted unless imported)', () => {
    const { packages, files } = packagesReachedFrom(`${src}dashboard/index.ts`);
    expect(files.size).toBeGreaterThan(5);
    for (const peer of ['@nestjs/terminus', 'prom-client', '@willsoto/nestjs-prometheus', 'yaml']) {
      expect(packages.has(peer), peer).toBe(false);
    }
    const root = packagesReachedFrom(`${src}index.ts`).files;
    expect([...root].filter((file) => file.includes('/dashboard/'))).toEqual([]);
  });

  it('@opentelemetry/api is an optional peer the package root only imports on demand (no import.meta)', () => {
    const { packages, files } = packagesReachedFrom(`${src}index.ts`);
    expect([...files].some((file) => file.endsWith('/tracing/lock-tracer.ts'))).toBe(true);
    expect(packages.has('@opentelemetry/api')).toBe(false);
    const loader = readFileSync(`${src}tracing/otel-api.loader.ts`, 'utf8');
    expect(loader).toContain("import('@opentelemetry/api')");
    expect(loader).not.toContain('import.meta');
    const pkg = JSON.parse(readFileSync(`${src}../package.json`, 'utf8'));
    expect(pkg.peerDependencies['@opentelemetry/api']).toBeDefined();
    expect(pkg.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true });
  });

  it('what monitoring.enableMetrics loads on demand needs prom-client only', () => {
    const { packages } = packagesReachedFrom(`${src}metrics/lock-metrics.registration.ts`);
    expect(packages.has('prom-client')).toBe(true);
    expect(packages.has('@willsoto/nestjs-prometheus')).toBe(false);
    expect(readFileSync(`${src}lock/lock-metrics.loader.ts`, 'utf8')).toContain(
      "import('../metrics/lock-metrics.registration.js')",
    );
  });
});
