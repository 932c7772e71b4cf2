/**
 * A duration: milliseconds as a number, or a string in Go's / the seed's notation
 * (`'30s'`, `'100ms'`, `'1m30s'`, `'2h'`, `'1.5s'`). Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`.
 *
 * @example
 * const ttl: Duration = '30s'; // same as 30_000
 */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y;

/**
 * Parses a {@link Duration} into whole milliseconds (rounded up, so `'500us'` is 1 ms).
 * Returns `undefined` for anything that is not a valid, finite, non-negative duration.
 *
 * @example
 * parseDuration('1m30s'); // 90_000
 * parseDuration(250);     // 250
 * parseDuration('soon');  // undefined
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.ceil(value) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
  }
  return Number.isFinite(total) ? Math.ceil(total) : undefined;
}
