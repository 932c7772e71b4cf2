import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * The `require` that loads optional peer dependencies synchronously, with no ESM-only syntax (the
 * same source compiles to the ESM and the CommonJS build):
 * - CommonJS build: the module's own `require`. Under Jest that is Jest's `require`, so the
 *   package and the app's test code get the same instance of a peer (one `RedisService` class).
 * - ESM build: a `require` anchored in the app, its main script first, then the working directory;
 *   peers are the app's packages. Node shares CommonJS instances between `import` and `require`,
 *   so the peer is the instance the app's own `import` gets.
 */
function peerRequires(): NodeJS.Require[] {
  if (typeof require === 'function') return [require];
  const anchors = [process.argv[1], join(process.cwd(), 'package.json')].filter((a): a is string => !!a);
  return anchors.map((anchor) => createRequire(anchor));
}

/**
 * Loads the optional peer `name` synchronously, or returns `undefined` when it is not installed.
 * Other load errors (the package is there but throws) are rethrown.
 *
 * @example
 * const yaml = loadOptionalPeer<typeof import('yaml')>('yaml'); // undefined when yaml is not installed
 */
export function loadOptionalPeer<T>(name: string): T | undefined {
  for (const load of peerRequires()) {
    try {
      return load(name) as T;
    } catch (error) {
      if (!isNotFound(error, name)) throw error;
    }
  }
  return undefined;
}

function isNotFound(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && !!message?.includes(`'${name}'`);
}
