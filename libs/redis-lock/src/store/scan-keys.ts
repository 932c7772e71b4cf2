import type { RedisLikeClient } from './redis-like-client.js';

/**
 * Escapes the glob characters of `text` (`*`, `?`, `[`, `]`, `\`) for a SCAN `MATCH` pattern.
 *
 * @example
 * globEscape('a*b'); // 'a\\*b'
 */
export const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** Settings of one {@link scanKeys} run. */
export interface ScanKeysOptions<T> {
  /** The nodes to scan (every master of a Cluster, else the one client). */
  nodes: readonly RedisLikeClient[];
  /** SCAN `MATCH` pattern (escape user text with {@link globEscape}). */
  match: string;
  /** Most entries returned. */
  limit: number;
  /** What a matching key stands for, under an id (entries with the same id count once), or `undefined` to skip it. */
  parse(key: string): { id: string; value: T } | undefined;
  /** Wraps each SCAN call (timeout, error scrubbing). */
  guard<R>(call: Promise<R>): Promise<R>;
}

/**
 * SCANs every node (200 keys a call) for keys matching a pattern and collects what they stand for,
 * deduplicated, at most `limit` of them, in scan order (the caller sorts).
 *
 * @example
 * const names = await scanKeys({ nodes: [client], match: 'lynx:lock:{job*}', limit: 100,
 *   parse: (key) => ({ id: key, value: key }), guard: (p) => p });
 */
export async function scanKeys<T>(options: ScanKeysOptions<T>): Promise<T[]> {
  const found = new Map<string, T>();
  for (const node of options.nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await options.guard(node.scan(cursor, 'MATCH', options.match, 'COUNT', 200));
      cursor = next;
      for (const key of keys) {
        const entry = options.parse(key);
        if (entry && found.size < options.limit && !found.has(entry.id)) found.set(entry.id, entry.value);
      }
    } while (cursor !== '0' && found.size < options.limit);
    if (found.size >= options.limit) break;
  }
  return [...found.values()];
}
