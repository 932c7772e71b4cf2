// Types of scripts/ensure-test-prereqs.mjs for the TypeScript tests that import it.

/** The first executable file called `name` in `env.PATH`, or undefined. */
export function findOnPath(name: string, env?: NodeJS.ProcessEnv): string | undefined;
/** The Chromium the browser test launches: `CHROMIUM_PATH` if set, else `chromium` on PATH. */
export function findChromium(env?: NodeJS.ProcessEnv): string | undefined;
/** Checks (and where it may, installs) redis-server, chromium and openssl; returns the exit code. */
export function ensureTestPrereqs(env?: NodeJS.ProcessEnv): number;
