import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startDemoTracing } from './demo-tracing.js';

describe('startDemoTracing', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    trace.disable();
    context.disable();
  });

  it('is off unless DEMO_TRACING is set', async () => {
    expect(await startDemoTracing({})).toBeUndefined();
    expect(await startDemoTracing({ DEMO_TRACING: 'off' })).toBeUndefined();
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('DEMO_TRACING=console: one span per request, active while it is handled, printed when it ends', async () => {
    const printed: unknown[] = [];
    vi.spyOn(console, 'dir').mockImplementation((value) => void printed.push(value));
    // An explicit console wins over a configured OTLP endpoint.
    const env = { DEMO_TRACING: 'console', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
    const tracing = (await startDemoTracing(env))!;
    expect(tracing.target).toBe('console');
    const res = Object.assign(new EventEmitter(), { statusCode: 200 }) as unknown as ServerResponse;
    const req = { method: 'POST', url: '/inventory/item-1/reserve?qty=2' } as IncomingMessage;
    let active: string | undefined;
    tracing.middleware(req, res, () => (active = trace.getActiveSpan()?.spanContext().spanId));
    expect(active).toMatch(/^[0-9a-f]{16}$/);
    expect(printed).toEqual([]);
    res.emit('finish');
    await tracing.shutdown();
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({
      name: 'POST /inventory/item-1/reserve',
      id: active,
      attributes: {
        'http.request.method': 'POST',
        'url.path': '/inventory/item-1/reserve',
        'http.response.status_code': 200,
      },
    });
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT (or DEMO_TRACING=otlp) it exports over OTLP instead', async () => {
    const tracing = (await startDemoTracing({ DEMO_TRACING: '1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }))!;
    expect(tracing.target).toBe('OTLP http://127.0.0.1:9');
    await tracing.shutdown();
  });
});
