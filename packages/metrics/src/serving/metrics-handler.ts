/**
 * The scrape endpoint: one handler for `node:http` (`(req, res)`) and for fetch-style servers (`Request →
 * Response`: Deno.serve, Bun.serve, Hono, Next route handlers). Node's, Deno's and Bun's process metrics
 * (`process_*`, `nodejs_*`) are collected into the registry unless it has them already.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, type Registry, type RegistryContentType } from 'prom-client';

export interface MetricsHandlerOptions {
  /** Collect prom-client's default process metrics into the registry. Default true. */
  defaultMetrics?: boolean;
}

/** Answers a scrape, whichever kind of server calls it. */
export interface MetricsHandler {
  /** `node:http`: `http.createServer(handler)` or `if (req.url === '/metrics') return handler(req, res)`. */
  (request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Fetch-style: `Deno.serve(handler)`, `Bun.serve({ fetch: handler })`, `app.get('/metrics', (c) => handler(c.req.raw))`. */
  (request: Request, context?: unknown): Promise<Response>;
}

const DEFAULT_METRIC = 'process_cpu_user_seconds_total';

/**
 * A handler that serves `registry` in its exposition format to GET and HEAD (405 to other methods, 500
 * with the reason when a collect callback throws).
 */
export function metricsHandler<T extends RegistryContentType>(
  registry: Registry<T>,
  options: MetricsHandlerOptions = {},
): MetricsHandler {
  if ((options.defaultMetrics ?? true) && registry.getSingleMetric(DEFAULT_METRIC) === undefined)
    collectDefaultMetrics({ register: registry });

  const render = async (
    method: string,
  ): Promise<{ status: number; type: string; body: string; allow?: string }> => {
    if (method !== 'GET' && method !== 'HEAD')
      return {
        status: 405,
        type: 'text/plain; charset=utf-8',
        body: 'Use GET to scrape metrics.\n',
        allow: 'GET, HEAD',
      };
    try {
      return { status: 200, type: registry.contentType, body: await registry.metrics() };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        status: 500,
        type: 'text/plain; charset=utf-8',
        body: `Collecting metrics failed: ${reason}\n`,
      };
    }
  };

  async function handler(
    request: IncomingMessage | Request,
    second?: unknown,
  ): Promise<Response | undefined> {
    if (isNodeResponse(second)) {
      const method = (request as IncomingMessage).method ?? 'GET';
      const out = await render(method);
      const body = new TextEncoder().encode(out.body);
      const headers: Record<string, string | number> = {
        'content-type': out.type,
        'content-length': body.length,
      };
      if (out.allow) headers.allow = out.allow;
      second.writeHead(out.status, headers);
      second.end(method === 'HEAD' ? undefined : body);
      return undefined;
    }
    const method = (request as Request).method;
    const out = await render(method);
    const headers = new Headers({ 'content-type': out.type });
    if (out.allow) headers.set('allow', out.allow);
    return new Response(method === 'HEAD' ? null : out.body, { status: out.status, headers });
  }
  // Stays: one implementation serves both call signatures, told apart at run time by the second argument.
  return handler as MetricsHandler;
}

function isNodeResponse(value: unknown): value is ServerResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ServerResponse).writeHead === 'function' &&
    typeof (value as ServerResponse).end === 'function'
  );
}
