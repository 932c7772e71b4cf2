import type * as OtelApiModule from '@opentelemetry/api';

/**
 * The `@opentelemetry/api` module (an optional peer dependency).
 *
 * @example
 * const api: OtelApi | undefined = otelApi();
 */
export type OtelApi = typeof OtelApiModule;

let loaded: OtelApi | undefined;

/**
 * Looks for the optional peer `@opentelemetry/api` once, when this module is first evaluated.
 * Resolves the API, or `undefined` when it is not installed (then tracing stays off and nothing
 * else changes). A plain dynamic `import()` (nothing ESM-only around it), so the CommonJS build can emit it
 * as `require`; whichever copy loads, the API keeps its tracer provider and context manager on a
 * process-wide global, so the app's own `@opentelemetry/api` and ours see the same ones.
 *
 * @example
 * const api = await otelApiReady; // undefined without @opentelemetry/api
 */
export const otelApiReady: Promise<OtelApi | undefined> = import('@opentelemetry/api').then(
  (api: OtelApi) => {
    loaded = api.trace && api.context && api.ProxyTracerProvider ? api : undefined;
    return loaded;
  },
  () => undefined,
);

/**
 * The API once {@link otelApiReady} has resolved with it, else `undefined` (never waits).
 *
 * @example
 * otelApi()?.trace.getActiveSpan()?.addEvent('something');
 */
export function otelApi(): OtelApi | undefined {
  return loaded;
}
