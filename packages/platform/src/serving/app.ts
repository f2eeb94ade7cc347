// createServingApp: a predictor behind HTTP — POST /predict (JSON), GET /metrics (Prometheus text of the serving
// metrics), GET /health — as a fetch handler (Deno.serve, Bun.serve, Hono, ...) and a node:http handler, plus
// listen() on SERVING_METRICS_PORT (9464), the port the platform's Prometheus scrapes as job "serving".
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AbortError,
  ApiError,
  ConnectionError,
  MlopsError,
  TimeoutError,
  UnprocessableEntityError,
} from '@mlops/core';
import { EncodeError, InvalidFeatureRequestError } from '@mlops/feast';
import { type MetricsHandler, metricsHandler } from '@mlops/metrics';
import { SignatureValidationError } from '@mlops/mlflow';
import {
  FeatureMismatchError,
  MissingFeatureValuesError,
  PredictorClosedError,
  ServingDeadlineError,
  ServingInputError,
} from './errors';
import { parseJsonExact, stringifyExact } from './json';
import type { Predictor, PredictRow } from './predictor';

/** The port the platform's Prometheus scrapes as job "serving" (platform/versions.env SERVING_METRICS_PORT). */
export const SERVING_METRICS_PORT = 9464;

export interface ServingAppOptions {
  /** listen()'s default port. Default: the SERVING_METRICS_PORT environment variable, else 9464. */
  metricsPort?: number;
  /** listen()'s default host. Default 127.0.0.1. */
  host?: string;
  /** Largest request body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Answer each row's model inputs and feature statuses too. Default false. */
  includeInputs?: boolean;
}

/** A running server. */
export interface ServingListener extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections, waits for requests in flight. */
  close(): Promise<void>;
}

export interface ServingApp {
  /** Fetch-style handler: `Deno.serve(app.fetch)`, `Bun.serve({ fetch: app.fetch })`. */
  fetch(request: Request): Promise<Response>;
  /** node:http handler: `http.createServer(app.nodeHandler)`. */
  nodeHandler(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Serves on `port` (default metricsPort / SERVING_METRICS_PORT / 9464) at 127.0.0.1. */
  listen(port?: number, host?: string): Promise<ServingListener>;
}

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The HTTP status of an error, and the JSON body that says what was wrong. */
export function errorAnswer(error: unknown): { status: number; body: Record<string, unknown> } {
  const detail = MlopsError.isInstance(error)
    ? error.toJSON()
    : { name: 'Error', message: error instanceof Error ? error.message : String(error) };
  let status = 500;
  if (
    ServingInputError.isInstance(error) ||
    InvalidFeatureRequestError.isInstance(error) ||
    EncodeError.isInstance(error)
  )
    status = 400;
  else if (
    SignatureValidationError.isInstance(error) ||
    MissingFeatureValuesError.isInstance(error) ||
    UnprocessableEntityError.isInstance(error)
  )
    status = 422;
  else if (ServingDeadlineError.isInstance(error)) status = 504;
  else if (
    PredictorClosedError.isInstance(error) ||
    ConnectionError.isInstance(error) ||
    TimeoutError.isInstance(error) ||
    AbortError.isInstance(error)
  )
    status = 503;
  else if (FeatureMismatchError.isInstance(error)) status = 500;
  else if (ApiError.isInstance(error)) status = 502;
  return { status, body: { error: detail } };
}

function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return { status, body: stringifyExact(body), headers: { 'content-type': JSON_TYPE, ...headers } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The HTTP face of a predictor:
 *
 * ```ts
 * const app = createServingApp(predictor);
 * const server = await app.listen(); // http://127.0.0.1:9464: POST /predict, GET /metrics, GET /health
 * ```
 *
 * `POST /predict` takes `{ "rows": [{ "driver_id": 1001 }], "deadlineMs"?: 500 }` and answers
 * `{ "model": {...}, "predictions": [{ "label": 1, "probabilities": [0.2, 0.8] }], "timings": {...} }`;
 * integers past 2^53 are read and written exactly. Errors answer `{ "error": { "name", "message", ... } }` with
 * 400 (bad request), 422 (input that does not fit the model, missing features), 503 (a component unreachable,
 * predictor closed), 504 (deadline) or 500.
 */
export function createServingApp(predictor: Predictor, options: ServingAppOptions = {}): ServingApp {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const metrics: MetricsHandler | undefined = predictor.metrics
    ? metricsHandler(predictor.metrics.registry)
    : undefined;

  const health = (): Answer => {
    const m = predictor.model;
    return json(predictor.ready ? 200 : 503, {
      status: predictor.ready ? 'ok' : 'closed',
      ready: predictor.ready,
      model: {
        name: m.name,
        version: m.version,
        runId: m.runId ?? null,
        uri: m.uri,
        flavor: m.flavor,
        inputs: m.inputs,
        outputs: m.outputs,
        drift: m.drift,
        loadedAt: m.loadedAt,
      },
    });
  };

  const predict = async (text: string): Promise<Answer> => {
    try {
      const body = parseJsonExact(text);
      if (!isRecord(body) || !Array.isArray(body['rows']))
        throw new ServingInputError(
          'body',
          'The body must be a JSON object with "rows": [{ "<entity key>": <id> }, ...].',
        );
      const rows = body['rows'];
      rows.forEach((row, i) => {
        if (!isRecord(row))
          throw new ServingInputError(`rows[${i}]`, `rows[${i}] must be an object of entity keys.`);
      });
      const deadlineMs = body['deadlineMs'];
      if (deadlineMs !== undefined && typeof deadlineMs !== 'number')
        throw new ServingInputError('deadlineMs', 'deadlineMs must be a number of milliseconds.');
      const result = await predictor.predict(
        rows as PredictRow[],
        deadlineMs === undefined ? {} : { deadlineMs },
      );
      return json(200, {
        model: result.model,
        predictions: result.predictions,
        ...(options.includeInputs ? { inputs: result.inputs, statuses: result.statuses } : {}),
        timings: result.timings,
      });
    } catch (error) {
      const { status, body } = errorAnswer(error);
      return json(status, body);
    }
  };

  const route = (method: string, path: string): 'predict' | 'metrics' | 'health' | Answer => {
    const allow = (methods: string) =>
      json(
        405,
        { error: { name: 'MethodNotAllowed', message: `Use ${methods} on ${path}.` } },
        { allow: methods },
      );
    switch (path) {
      case '/predict':
        return method === 'POST' ? 'predict' : allow('POST');
      case '/metrics':
        if (!metrics)
          return json(404, {
            error: {
              name: 'NotFound',
              message: 'This predictor records no metrics (created with metrics: false).',
            },
          });
        return method === 'GET' || method === 'HEAD' ? 'metrics' : allow('GET, HEAD');
      case '/health':
        return method === 'GET' || method === 'HEAD' ? 'health' : allow('GET, HEAD');
      default:
        return json(404, {
          error: {
            name: 'NotFound',
            message: `No route ${path}: use POST /predict, GET /metrics or GET /health.`,
          },
        });
    }
  };

  const tooLarge = () =>
    json(413, {
      error: { name: 'PayloadTooLarge', message: `The body is larger than ${maxBody} bytes (maxBodyBytes).` },
    });

  const app: ServingApp = {
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const target = route(request.method, path);
      let answer: Answer;
      if (target === 'metrics' && metrics) return metrics(request);
      if (target === 'health') answer = health();
      else if (target === 'predict') {
        const text = await request.text();
        answer = new TextEncoder().encode(text).length > maxBody ? tooLarge() : await predict(text);
      } else answer = target as Answer;
      return new Response(request.method === 'HEAD' ? null : answer.body, {
        status: answer.status,
        headers: answer.headers,
      });
    },
    async nodeHandler(request, response) {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const method = request.method ?? 'GET';
      const target = route(method, path);
      if (target === 'metrics' && metrics) {
        await metrics(request, response);
        return;
      }
      let answer: Answer;
      if (target === 'health') answer = health();
      else if (target === 'predict') {
        const chunks: Buffer[] = [];
        let size = 0;
        let over = false;
        for await (const chunk of request) {
          const buffer = chunk as Buffer;
          size += buffer.length;
          if (size > maxBody) over = true;
          else chunks.push(buffer);
        }
        answer = over ? tooLarge() : await predict(Buffer.concat(chunks).toString('utf8'));
      } else answer = target as Answer;
      const bytes = Buffer.from(answer.body, 'utf8');
      response.writeHead(answer.status, { ...answer.headers, 'content-length': bytes.length });
      response.end(method === 'HEAD' ? undefined : bytes);
    },
    listen(port, host) {
      const envPort = Number(process.env['SERVING_METRICS_PORT']);
      const chosen =
        port ??
        options.metricsPort ??
        (Number.isInteger(envPort) && envPort > 0 ? envPort : SERVING_METRICS_PORT);
      const bind = host ?? options.host ?? '127.0.0.1';
      const server = createServer({ keepAlive: true }, (req, res) => {
        app.nodeHandler(req, res).catch((error: unknown) => {
          if (!res.headersSent) {
            const { status, body } = errorAnswer(error);
            res.writeHead(status, { 'content-type': JSON_TYPE });
            res.end(stringifyExact(body));
          } else res.destroy();
        });
      });
      return new Promise<ServingListener>((resolve, reject) => {
        server.once('error', reject);
        server.listen(chosen, bind, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const close = () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeIdleConnections();
            });
          resolve({
            url: `http://${bind.includes(':') ? `[${bind}]` : bind}:${address.port}`,
            port: address.port,
            close,
            [Symbol.asyncDispose]: close,
          });
        });
      });
    },
  };
  return app;
}
