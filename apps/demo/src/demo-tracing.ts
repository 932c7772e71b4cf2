import type { IncomingMessage, ServerResponse } from 'node:http';

/** The part of Express' request the middleware reads (`path`: the URL without its query). */
type Request = IncomingMessage & { path?: string };

/**
 * What {@link startDemoTracing} set up: the request-span middleware and a flush for shutdown.
 *
 * @example
 * process.once('SIGTERM', () => void tracing?.shutdown());
 */
export interface DemoTracing {
  /** Where spans go (`console` or the OTLP endpoint), for the start-up log. */
  readonly target: string;
  /** Express middleware: one span per HTTP request, active while Nest handles it. */
  readonly middleware: (req: Request, res: ServerResponse, next: () => void) => void;
  shutdown(): Promise<void>;
}

/**
 * Opt-in OpenTelemetry tracing for the demo (off unless `DEMO_TRACING` is set, so the demo's
 * output stays readable):
 * - `DEMO_TRACING=console`: every span printed by the SDK's `ConsoleSpanExporter`;
 * - `DEMO_TRACING=otlp` (or any other value with `OTEL_EXPORTER_OTLP_ENDPOINT` set): OTLP over
 *   HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4318`).
 * Registers a tracer provider and the AsyncLocalStorage context manager; the library then records
 * `redis_lock.acquire` / `redis_lock.hold` spans under each request's span.
 *
 * @example
 * const tracing = await startDemoTracing();
 * if (tracing) app.use(tracing.middleware);
 */
export async function startDemoTracing(env: NodeJS.ProcessEnv = process.env): Promise<DemoTracing | undefined> {
  const mode = env.DEMO_TRACING;
  if (!mode || mode === '0' || mode === 'off') return undefined;
  const { context, trace, SpanKind, SpanStatusCode } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const otlp = mode === 'otlp' || (mode !== 'console' && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT));
  let processor;
  let target = 'console';
  if (otlp) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT itself.
    processor = new sdk.BatchSpanProcessor(new OTLPTraceExporter());
    const configured = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
    target = `OTLP ${configured ?? 'http://localhost:4318'}`;
  } else {
    processor = new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter());
  }
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('lynx-demo');

  const middleware = (req: Request, res: ServerResponse, next: () => void) => {
    const path = req.path ?? (req.url ?? '/').split('?')[0];
    const attributes = { 'http.request.method': req.method ?? 'GET', 'url.path': path };
    tracer.startActiveSpan(`${req.method} ${path}`, { kind: SpanKind.SERVER, attributes }, (span) => {
      res.once('finish', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      next();
    });
  };
  return { target, middleware, shutdown: () => provider.shutdown() };
}
