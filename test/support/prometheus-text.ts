/** One sample line of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed `/metrics` page: samples plus the metric names announced by `# TYPE` lines. */
export interface PromPage {
  samples: PromSample[];
  types: Map<string, string>;
  /** Value of the sample with exactly these labels, or undefined. */
  get(name: string, labels?: Record<string, string>): number | undefined;
  /** Sum over every sample of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
  /** The label sets `name` was reported with. */
  labelSets(name: string): Record<string, string>[];
}

const unescape = (s: string) => s.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));

/**
 * Parses Prometheus text exposition format (what prom-client's `register.metrics()` and a
 * `PrometheusModule` `/metrics` endpoint return).
 */
export function parsePrometheusText(text: string): PromPage {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (match[2]) {
      for (const m of match[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = unescape(m[2]);
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  const includes = (a: Record<string, string>, b: Record<string, string>) =>
    Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    samples,
    types,
    get: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value,
    sum: (name, labels = {}) =>
      samples.filter((s) => s.name === name && includes(s.labels, labels)).reduce((a, s) => a + s.value, 0),
    labelSets: (name) => samples.filter((s) => s.name === name).map((s) => s.labels),
  };
}
