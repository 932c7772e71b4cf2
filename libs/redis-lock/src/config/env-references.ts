/** Deepest nesting of defaults that is expanded: `${A:-${B:-${C}}}` nests 3 deep. */
export const MAX_REFERENCE_DEPTH = 8;

/** What {@link expandReferences} made of a text. */
export interface ExpandedText {
  /** The text with every reference replaced. */
  value: string;
  /** The text was exactly one reference (so a number or boolean it yields may be typed as one). */
  whole: boolean;
  /** Variables that were needed, not set and had no default, in order. */
  unset: string[];
  /** A default nested deeper than {@link MAX_REFERENCE_DEPTH} was needed (it expanded to nothing). */
  tooDeep: boolean;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

interface Reference {
  name: string;
  fallback?: string;
  end: number;
}

/** Reads `${NAME}` or `${NAME:-default}` at `start` (a `$`); `undefined` when it is not one (kept literally). */
function readReference(text: string, start: number): Reference | undefined {
  if (text[start + 1] !== '{') return undefined;
  NAME.lastIndex = start + 2;
  const name = NAME.exec(text)?.[0];
  if (!name) return undefined;
  let i = start + 2 + name.length;
  if (text[i] === '}') return { name, end: i + 1 };
  if (!text.startsWith(':-', i)) return undefined;
  // The default runs to the `}` that matches this reference: `${` opens a nested one, `$$` is an escape.
  const from = i + 2;
  let open = 0;
  for (i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      open++;
      i++;
    } else if (text[i] === '}') {
      if (open === 0) return { name, fallback: text.slice(from, i), end: i + 1 };
      open--;
    }
  }
  return undefined;
}

/**
 * Expands environment references in a text from a configuration file: `${NAME}` (must be set),
 * `${NAME:-default}` (the default when NAME is unset or empty; the default may itself hold references,
 * `${A:-${B:-x}}`, expanded only when it is used, at most {@link MAX_REFERENCE_DEPTH} deep) and `$$`
 * (a literal `$`). A value taken from `env` is used as it is, never expanded again, so a secret that
 * contains `${` or `$$` stays intact. Anything else (`${1x}`, an unclosed `${A:-`) is kept literally.
 *
 * @example
 * expandReferences('${HOST:-localhost}:${PORT:-6379}', { PORT: '6380' }).value; // 'localhost:6380'
 * expandReferences('${A:-${B}}', { B: 'b' }); // { value: 'b', whole: true, unset: [], tooDeep: false }
 */
export function expandReferences(text: string, env: Readonly<Record<string, string | undefined>>): ExpandedText {
  const result: ExpandedText = { value: '', whole: false, unset: [], tooDeep: false };
  const expand = (part: string, level: number): string => {
    let out = '';
    let i = 0;
    while (i < part.length) {
      const dollar = part.indexOf('$', i);
      if (dollar < 0) return out + part.slice(i);
      out += part.slice(i, dollar);
      if (part[dollar + 1] === '$') {
        out += '$';
        i = dollar + 2;
        continue;
      }
      const ref = readReference(part, dollar);
      if (!ref) {
        out += '$';
        i = dollar + 1;
        continue;
      }
      if (level === 1 && dollar === 0 && ref.end === part.length) result.whole = true;
      const set = env[ref.name];
      if (set !== undefined && set !== '') out += set;
      else if (ref.fallback !== undefined) {
        if (level >= MAX_REFERENCE_DEPTH) result.tooDeep = true;
        else out += expand(ref.fallback, level + 1);
      } else if (set === undefined) result.unset.push(ref.name);
      i = ref.end;
    }
    return out;
  };
  result.value = expand(text, 1);
  return result;
}
