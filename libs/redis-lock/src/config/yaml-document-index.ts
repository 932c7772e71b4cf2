import type * as YamlModule from 'yaml';

/** A key given twice in one mapping. */
export interface DuplicateKey {
  /** YAML path of the key (`lynx.redis.db`, `app.list[0].a`). */
  path: string;
  /** Offset of the repeated key and of its first occurrence in the text. */
  offset?: number;
  firstOffset?: number;
}

/** What one pass over a parsed document finds. */
export interface YamlDocumentIndex {
  /** The node each alias refers to: the last node with that anchor before it (`undefined`: none). */
  aliasTargets: Map<YamlModule.Alias, YamlModule.Node | undefined>;
  duplicates: DuplicateKey[];
}

interface Visit {
  node: YamlModule.Node;
  path: string;
}

/** A key as a path segment: its scalar value, `<<` for a merge key, `?` for a complex key. */
const keyName = (yaml: typeof YamlModule, key: unknown): string => {
  if (!yaml.isScalar(key)) return '?';
  return typeof key.value === 'symbol' ? (key.value.description ?? '?') : String(key.value);
};

const offsetOf = (node: unknown): number | undefined =>
  (node as { range?: [number, number, number] } | null)?.range?.[0];

/**
 * Walks a parsed document once, in text order, and returns its duplicate keys and what every alias
 * refers to. Linear in the size of the document: one `Map` per mapping for its keys (the `yaml`
 * package's own `uniqueKeys` check compares every key with every other, quadratic in the keys of a
 * mapping), and anchors are recorded as the walk meets them (its `Alias.resolve` walks the whole
 * document for each alias). Aliases are not followed here. Iterative, so nesting cannot overflow the
 * stack. Keys are compared as the `yaml` package compares them: scalar keys with equal values;
 * `<<` merge keys may repeat.
 *
 * @example
 * const doc = yaml.parseDocument('a: 1\na: 2\n', { uniqueKeys: false });
 * indexYamlDocument(yaml, doc).duplicates; // [{ path: 'a', offset: 5, firstOffset: 0 }]
 */
export function indexYamlDocument(yaml: typeof YamlModule, doc: YamlModule.Document): YamlDocumentIndex {
  const index: YamlDocumentIndex = { aliasTargets: new Map(), duplicates: [] };
  const anchors = new Map<string, YamlModule.Node>();
  const stack: Visit[] = [];
  // A scalar matters only when it carries an anchor; skipping the rest halves the walk of a large file.
  const push = (node: unknown, path: string) => {
    if (yaml.isNode(node) && (!yaml.isScalar(node) || node.anchor)) stack.push({ node, path });
  };
  push(doc.contents, '');
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node.anchor) anchors.set(node.anchor, node);
    if (yaml.isAlias(node)) {
      index.aliasTargets.set(node, anchors.get(node.source));
    } else if (yaml.isMap(node)) {
      const seen = new Map<unknown, YamlModule.Scalar>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!yaml.isScalar(key) || typeof key.value === 'symbol') continue;
        const first = seen.get(key.value);
        if (first) {
          const keyPath = `${path ? `${path}.` : ''}${keyName(yaml, key)}`;
          index.duplicates.push({ path: keyPath, offset: offsetOf(key), firstOffset: offsetOf(first) });
        } else {
          seen.set(key.value, key);
        }
      }
      // Pushed in reverse, so the walk pops them in text order (an anchor comes before its aliases).
      for (let i = node.items.length - 1; i >= 0; i--) {
        const { key, value } = node.items[i];
        // Only collections need their path (for a duplicate key inside them); scalars get none.
        push(value, yaml.isCollection(value) ? `${path ? `${path}.` : ''}${keyName(yaml, key)}` : '');
        push(key, path);
      }
    } else if (yaml.isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) push(node.items[i], `${path}[${i}]`);
    }
  }
  return index;
}
