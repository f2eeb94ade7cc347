/**
 * A Pushgateway client over @mlops/core's HTTP client (retries, deadlines, redaction, logging), written
 * because prom-client's own `Pushgateway` cannot address a grouping value holding `/` or an empty one (no
 * `@base64`), sends no Content-Type and pushes whatever format the registry is in.
 */
import { createHttpClient, type HttpClient, type Logger } from '@mlops/core';
import { redactUrl, resolveConfig } from '@mlops/core/sdk';
import { metricsConfigSpec } from '../config';
import { MetricsInputError } from '../serving/errors';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { groupingPath, type PushRegistry, type PushTarget } from './grouping';
import { type PushOnExitHandle, type PushOnExitOptions, watchExit } from './push-on-exit';

/** The only format the Pushgateway parses besides delimited protobuf: text exposition 0.0.4. */
export type { PushRegistry, PushTarget };

export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

const pushgatewayConfigSpec = {
  url: metricsConfigSpec.pushgatewayUrl,
  maxRetries: metricsConfigSpec.maxRetries,
  attemptTimeoutMs: metricsConfigSpec.attemptTimeoutMs,
};

export interface PushgatewayOptions {
  /** The Pushgateway's base URL. Default: `PUSHGATEWAY_URL`, else http://127.0.0.1:9091. */
  url?: string;
  /** Gzip request bodies (the Pushgateway decodes `Content-Encoding: gzip` since 1.5.0). Default true. */
  gzip?: boolean;
  /** Retries of a failed push (5xx, 429, connection resets). Default `MLOPS_METRICS_MAX_RETRIES`, else 2. */
  maxRetries?: number;
  /** Deadline of one attempt in ms. Default `MLOPS_METRICS_TIMEOUT_MS`, else 30 000. */
  attemptTimeoutMs?: number;
  /** The fetch to use (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
  /** Headers sent with every request (a proxy's Authorization, say). */
  headers?: Record<string, string>;
}

export interface PushRequest extends PushTarget {
  /** The metrics to push, as they are when the call is made. */
  registry: PushRegistry;
  /** Aborts the push. */
  signal?: AbortSignal;
}

/** The URL as given, or with its userinfo (basic auth) shown as REDACTED when it has one. */
function withoutUserinfo(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url) ? redactUrl(url) : url;
}

/**
 * Pushes a prom-client registry to a Prometheus Pushgateway:
 *
 * ```ts
 * const gateway = new Pushgateway();
 * await gateway.push({ job: 'nightly_training', groupings: { dataset: 's3://bucket/2026/12' }, registry });
 * ```
 */
export class Pushgateway {
  /** The Pushgateway's base URL, resolved once. */
  readonly url: string;
  readonly #http: HttpClient<Record<string, never>>;
  readonly #gzip: boolean;

  constructor(options: PushgatewayOptions = {}) {
    const { fetch, logger, headers, gzip, ...configured } = options;
    const config = resolveConfig(pushgatewayConfigSpec, configured, { service: PACKAGE_NAME });
    // Shown without userinfo (basic auth in the URL); the HTTP client alone holds it.
    this.url = withoutUserinfo(config.url);
    this.#gzip = gzip ?? true;
    this.#http = createHttpClient({
      service: 'pushgateway',
      baseUrl: config.url,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      retry: { maxRetries: config.maxRetries },
      attemptTimeoutMs: config.attemptTimeoutMs,
      ...(fetch ? { fetch } : {}),
      ...(logger ? { logger } : {}),
      ...(headers ? { headers } : {}),
    });
  }

  /** PUT: the grouping key's metrics become exactly the registry's (others of the group are removed). */
  push(request: PushRequest): Promise<void> {
    return this.#send('PUT', request);
  }

  /** POST: replaces only the metric names the registry holds; other metrics of the group stay. */
  pushAdd(request: PushRequest): Promise<void> {
    return this.#send('POST', request);
  }

  /**
   * DELETE: removes every metric of the grouping key (a missing group is not an error). Resolves when the
   * gateway has accepted it: it answers 202 and applies the delete a moment later.
   */
  async delete(target: PushTarget & { signal?: AbortSignal }): Promise<void> {
    const path = groupingPath(target.job, target.groupings);
    await this.#http.fetch(path, { method: 'DELETE', ...(target.signal ? { signal: target.signal } : {}) });
  }

  /**
   * For batch jobs (an Airflow task, a training script): pushes the registry once when the process ends —
   * normally, on an uncaught exception or unhandled rejection, or on SIGINT/SIGTERM — so the last values
   * reach Prometheus even when the job fails; then the process ends as it would have. An explicit
   * `process.exit()` cannot wait for a push: `await handle.flush()` first.
   */
  pushOnExit(options: PushOnExitOptions): PushOnExitHandle {
    groupingPath(options.job, options.groupings);
    return watchExit((method, request) => this.#send(method === 'push' ? 'PUT' : 'POST', request), options);
  }

  async #send(method: 'PUT' | 'POST', request: PushRequest): Promise<void> {
    const path = groupingPath(request.job, request.groupings);
    const body = await exposition(request.registry);
    const headers: Record<string, string> = { 'content-type': TEXT_FORMAT };
    let payload: string | Uint8Array<ArrayBuffer> = body;
    if (this.#gzip) {
      payload = await gzip(body);
      headers['content-encoding'] = 'gzip';
    }
    await this.#http.fetch(path, {
      method,
      body: payload,
      headers,
      // A POST replaces the same metric names with the same values: safe to repeat.
      idempotent: true,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }
}

/** The registry's text exposition, checked to be the format the Pushgateway parses. */
async function exposition(registry: PushRegistry): Promise<string> {
  if (registry === null || typeof registry !== 'object' || typeof registry.metrics !== 'function')
    throw new MetricsInputError(
      'registry',
      'registry: expected a prom-client Registry (new Registry(), or prom-client\'s global "register").',
    );
  const contentType: string = registry.contentType;
  if (!contentType.startsWith('text/plain'))
    throw new MetricsInputError(
      'registry',
      `registry: the Pushgateway parses the Prometheus text format only, and this registry writes ${JSON.stringify(contentType)} (OpenMetrics). Push a registry made with new Registry() (Prometheus format); keep exemplars for the scrape endpoint.`,
    );
  const text = await registry.metrics();
  // The text parser needs the last line to end in a newline.
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
