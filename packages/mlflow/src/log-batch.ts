// logBatch: any number of metrics, params and tags, split into requests the server takes (≤ 1,000
// metrics, ≤ 100 params, ≤ 100 tags, ≤ 1,000 entities per request: mlflow/utils/validation.py), each kind
// kept in the order given. Everything is checked before the first request, so bad input sends nothing.
//
// Requests with params or tags go one at a time, in order (a later tag value must win). Requests of
// metrics only may overlap (`concurrency`): the SQL store orders a metric's history by step and
// timestamp, not by arrival, and keeps the latest value by (step, timestamp, value), so their arrival order
// changes nothing that is stored.
//
// The server's 1 MB check (_validate_batch_log_api_req) measures len() of the parsed JSON object, i.e. its
// number of keys, so 3.18 never enforces a byte limit; requests are not split by size.

import { MlflowInputError, MlflowPartialWriteError } from './errors';
import type { components, operations } from './generated/mlflow';
import type { MlflowHttp } from './http';
import {
  checkKey,
  LIMITS,
  metricValue,
  type ParamValue,
  paramString,
  stepValue,
  tagValue,
  timestampValue,
} from './validation';

type WireMetric = components['schemas']['mlflow_Metric__Input'];
type WireKeyValue = { key: string; value: string };
type LogBatchBody = operations['MlflowService_logBatch']['requestBody']['content']['application/json'];

/** One metric value to log (Python's `Metric`). */
export interface MetricInput {
  key: string;
  /** NaN and ±Infinity are sent as MLflow's "NaN", "Infinity", "-Infinity". */
  value: number;
  /** ms since the epoch; default: when logBatch was called. */
  timestamp?: number;
  /** Default 0. */
  step?: number;
  datasetName?: string;
  datasetDigest?: string;
  modelId?: string;
}

export type KeyValues<V> = Readonly<Record<string, V>> | ReadonlyArray<{ key: string; value: V }>;

export interface LogBatchInput {
  metrics?: readonly MetricInput[];
  /** A record or `{ key, value }` pairs; numbers and booleans become strings as Python's str() makes them. */
  params?: KeyValues<ParamValue>;
  tags?: KeyValues<string>;
}

export interface LogBatchOptions {
  signal?: AbortSignal;
  /** Requests of metrics only that may be in flight at once. Default 2. */
  concurrency?: number;
}

/**
 * LogBatchOptions and what only this package's own callers pass (not exported from the package). `retry:
 * false` sends each request once: the HTTP pipeline does not resend a request whose answer was lost, so the
 * caller (withRun) decides, after reading back what landed. (log-batch is otherwise declared idempotent and
 * resent by the pipeline, which relies on the SQL store ignoring an exact duplicate metric.)
 */
export interface SendBatchOptions extends LogBatchOptions {
  retry?: false;
}

/** One request's worth. */
export interface BatchChunk {
  metrics: WireMetric[];
  params: WireKeyValue[];
  tags: WireKeyValue[];
}

function pairs<V>(input: KeyValues<V> | undefined): ReadonlyArray<{ key: string; value: V }> {
  if (input === undefined) return [];
  if (Array.isArray(input)) return input as ReadonlyArray<{ key: string; value: V }>;
  return Object.entries(input as Readonly<Record<string, V>>).map(([key, value]) => ({ key, value }));
}

/** Checks every entity and converts it to MLflow's JSON. Throws MlflowInputError before anything is sent. */
export function prepareBatch(
  input: LogBatchInput,
  now: number = Date.now(),
): {
  metrics: WireMetric[];
  params: WireKeyValue[];
  tags: WireKeyValue[];
} {
  const metrics: WireMetric[] = [];
  const source = input.metrics ?? [];
  for (let i = 0; i < source.length; i++) {
    const m = source[i]!;
    const wire: WireMetric = {
      key: checkKey(m.key, `metrics[${i}].key`),
      value: metricValue(m.value, `metrics[${i}].value`),
      timestamp: m.timestamp === undefined ? now : timestampValue(m.timestamp, `metrics[${i}].timestamp`),
      step: m.step === undefined ? 0 : stepValue(m.step, `metrics[${i}].step`),
    };
    if (m.datasetName !== undefined) wire.dataset_name = m.datasetName;
    if (m.datasetDigest !== undefined) wire.dataset_digest = m.datasetDigest;
    if (m.modelId !== undefined) wire.model_id = m.modelId;
    metrics.push(wire);
  }
  const params: WireKeyValue[] = [];
  const seen = new Map<string, string>();
  pairs(input.params).forEach(({ key, value }, i) => {
    const k = checkKey(key, `params[${i}].key`);
    const v = paramString(value, `params[${i}].value`);
    const before = seen.get(k);
    if (before === undefined) {
      seen.set(k, v);
      params.push({ key: k, value: v });
    } else if (before !== v) {
      throw new MlflowInputError(
        `params[${i}]`,
        `param ${JSON.stringify(k)} is given twice with different values (${JSON.stringify(before)}, ${JSON.stringify(v)}); MLflow params are write-once. Log one value, or use a tag or a metric for values that change.`,
      );
    }
  });
  const tags = pairs(input.tags).map(({ key, value }, i) => ({
    key: checkKey(key, `tags[${i}].key`),
    value: tagValue(value, `tags[${i}].value`),
  }));
  return { metrics, params, tags };
}

/**
 * Splits into requests within the server's limits, each kind in order; params and tags go first. Generic over
 * the entries' form: wire values here, withRun's buffered inputs there.
 */
export function chunkBatch<M, P, T>(batch: {
  metrics: M[];
  params: P[];
  tags: T[];
}): Array<{
  metrics: M[];
  params: P[];
  tags: T[];
}> {
  const chunks: Array<{ metrics: M[]; params: P[]; tags: T[] }> = [];
  let m = 0;
  let p = 0;
  let t = 0;
  const { metrics, params, tags } = batch;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const chunkParams = params.slice(p, p + LIMITS.paramsPerBatch);
    p += chunkParams.length;
    const chunkTags = tags.slice(t, t + LIMITS.tagsPerBatch);
    t += chunkTags.length;
    const room = Math.min(
      LIMITS.metricsPerBatch,
      LIMITS.entitiesPerBatch - chunkParams.length - chunkTags.length,
    );
    const chunkMetrics = metrics.slice(m, m + room);
    m += chunkMetrics.length;
    chunks.push({ metrics: chunkMetrics, params: chunkParams, tags: chunkTags });
  }
  return chunks;
}

/** Sends the chunks: those with params or tags one at a time, metrics-only ones up to `concurrency` at once. */
export async function sendBatch(
  http: MlflowHttp,
  runId: string,
  chunks: readonly BatchChunk[],
  options: SendBatchOptions = {},
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const written = { metrics: 0, params: 0, tags: 0 };
  const total = { metrics: 0, params: 0, tags: 0 };
  for (const c of chunks) {
    total.metrics += c.metrics.length;
    total.params += c.params.length;
    total.tags += c.tags.length;
  }
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = (chunk: BatchChunk): Promise<void> => {
    const body: LogBatchBody = { run_id: runId };
    if (chunk.metrics.length > 0) body.metrics = chunk.metrics;
    if (chunk.params.length > 0) body.params = chunk.params;
    if (chunk.tags.length > 0) body.tags = chunk.tags;
    const request = http
      .post('/api/2.0/mlflow/runs/log-batch', {
        body,
        idempotent: true,
        signal: options.signal,
        ...(options.retry === false ? { retry: false as const } : {}),
      })
      .then(
        () => {
          written.metrics += chunk.metrics.length;
          written.params += chunk.params.length;
          written.tags += chunk.tags.length;
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    return request;
  };
  for (const chunk of chunks) {
    if (failure) break;
    const ordered = chunk.params.length > 0 || chunk.tags.length > 0;
    if (ordered || concurrency === 1) {
      await Promise.all(inFlight);
      if (failure) break;
      await send(chunk);
      continue;
    }
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) break;
    void send(chunk);
  }
  await Promise.all(inFlight);
  if (!failure) return;
  const nothingWritten = written.metrics === 0 && written.params === 0 && written.tags === 0;
  if (nothingWritten) throw failure.error;
  throw new MlflowPartialWriteError({ runId, written, total, cause: failure.error });
}
