// Runs: create, get, update, end, delete, restore, search; metrics, params, tags, batches, inputs and
// metric history, as Python's MlflowClient names them.
import { decoded, wireToken } from './decoded';
import type { MlflowHttp } from './http';
import { chunkBatch, type LogBatchInput, prepareBatch, type SendBatchOptions, sendBatch } from './log-batch';
import { type PageOptions, type Paginator, pageSizeOf, tokenPages } from './paging';
import {
  type Dataset,
  type Metric,
  type Run,
  type RunInfo,
  type RunStatus,
  toMetric,
  toRun,
  toRunInfo,
  type ViewType,
} from './run-data';
import {
  checkKey,
  checkLength,
  checkString,
  metricValue,
  type ParamValue,
  paramString,
  stepValue,
  tagValue,
  timestampValue,
} from './validation';

type Signal = { signal?: AbortSignal };

export interface CreateRunOptions extends Signal {
  /** ms since the epoch; default now. */
  startTime?: number;
  tags?: Readonly<Record<string, string>>;
  /** Default: a name the server makes up ("bouncy-fox-123"). */
  runName?: string;
}

export interface SearchRunsOptions extends PageOptions {
  /** `metrics.rmse < 1 and params.model = 'tree'`. */
  filter?: string;
  /** `['metrics.rmse ASC', 'attributes.start_time DESC']`. */
  orderBy?: readonly string[];
  /** Default ACTIVE_ONLY. */
  runViewType?: ViewType;
}

export interface LogMetricOptions extends Signal {
  /** ms since the epoch; default now. */
  timestamp?: number;
  /** Default 0. */
  step?: number;
  datasetName?: string;
  datasetDigest?: string;
  modelId?: string;
}

/** A dataset used by a run, with its input tags (`{ 'mlflow.data.context': 'training' }`). */
export interface DatasetInputInit {
  dataset: Dataset;
  tags?: Readonly<Record<string, string>>;
}

const MAX_DATASET = {
  name: 500,
  digest: 36,
  source: 65_535,
  schema: 1_048_575,
  profile: 16_777_215,
} as const;

/**
 * One dataset input as log-inputs takes it (the `i`th of the call), every text checked against the size of the
 * server's column for it (MLflow would refuse or truncate a longer one).
 */
export function datasetInputBody(input: DatasetInputInit, i: number) {
  const d = input.dataset;
  const at = `datasets[${i}].dataset`;
  const text = (name: keyof typeof MAX_DATASET) =>
    checkLength(
      checkString(d[name], `${at}.${name}`),
      MAX_DATASET[name],
      `${at}.${name}`,
      `a dataset ${name}`,
    );
  return {
    dataset: {
      name: text('name'),
      digest: text('digest'),
      source_type: checkString(d.sourceType, `${at}.sourceType`),
      source: text('source'),
      ...(d.schema === undefined ? {} : { schema: text('schema') }),
      ...(d.profile === undefined ? {} : { profile: text('profile') }),
    },
    tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({
      key: checkLength(
        checkString(key, `datasets[${i}].tags`),
        255,
        `datasets[${i}].tags.${key}`,
        'an input tag key',
      ),
      value: checkLength(
        checkString(value, `datasets[${i}].tags.${key}`),
        500,
        `datasets[${i}].tags.${key}`,
        'an input tag value',
      ),
    })),
  };
}

export class Runs {
  readonly #http: MlflowHttp;

  constructor(http: MlflowHttp) {
    this.#http = http;
  }

  /** Creates a run; `user_id` comes from the `mlflow.user` tag, as in Python ("unknown" without it). */
  async create(experimentId: string, options: CreateRunOptions = {}): Promise<Run> {
    const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({
      key: checkKey(key, `tags.${key}`),
      value: tagValue(value, `tags.${key}`),
    }));
    const body = await this.#http.post('/api/2.0/mlflow/runs/create', {
      body: {
        experiment_id: checkString(experimentId, 'experimentId'),
        user_id: options.tags?.['mlflow.user'] ?? 'unknown',
        start_time:
          options.startTime === undefined ? Date.now() : timestampValue(options.startTime, 'startTime'),
        ...(tags.length ? { tags } : {}),
        ...(options.runName === undefined ? {} : { run_name: checkString(options.runName, 'runName') }),
      },
      signal: options.signal,
    });
    return decoded('run', () => toRun(body?.run));
  }

  /** Python's `Run`: info, data (latest metric values, params, tags as records) and inputs. */
  async get(runId: string, options: Signal = {}): Promise<Run> {
    const body = await this.#http.get('/api/2.0/mlflow/runs/get', {
      params: { query: { run_id: checkString(runId, 'runId') } },
      signal: options.signal,
    });
    return decoded('run', () => toRun(body?.run));
  }

  /** Changes the status and/or name of a run; returns its info. */
  async update(
    runId: string,
    options: Signal & { status?: RunStatus; name?: string; endTime?: number } = {},
  ): Promise<RunInfo> {
    const body = await this.#http.post('/api/2.0/mlflow/runs/update', {
      body: {
        run_id: checkString(runId, 'runId'),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.name === undefined ? {} : { run_name: checkString(options.name, 'name') }),
        ...(options.endTime === undefined ? {} : { end_time: timestampValue(options.endTime, 'endTime') }),
      },
      // Setting the same status, name and end time again leaves the same run (tracking.interop.test.ts).
      idempotent: true,
      signal: options.signal,
    });
    return decoded('run info', () => toRunInfo(body?.run_info));
  }

  async delete(runId: string, options: Signal = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/runs/delete', {
      body: { run_id: checkString(runId, 'runId') },
      signal: options.signal,
    });
  }

  async restore(runId: string, options: Signal = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/runs/restore', {
      body: { run_id: checkString(runId, 'runId') },
      signal: options.signal,
    });
  }

  /** Every matching run of the experiments, following page tokens (1,000 runs per request by default). */
  search(experimentIds: string | readonly string[], options: SearchRunsOptions = {}): Paginator<Run> {
    const ids = typeof experimentIds === 'string' ? [experimentIds] : [...experimentIds];
    const size = pageSizeOf(options, 1000, 50_000, 'searchRuns');
    return tokenPages(options, async (pageToken) => {
      const body = await this.#http.post('/api/2.0/mlflow/runs/search', {
        body: {
          experiment_ids: ids,
          max_results: size,
          ...(options.filter ? { filter: options.filter } : {}),
          ...(options.orderBy?.length ? { order_by: [...options.orderBy] } : {}),
          ...(options.runViewType ? { run_view_type: options.runViewType } : {}),
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        // A search changes nothing: safe to repeat.
        idempotent: true,
        signal: options.signal,
      });
      return decoded('runs page', () => ({
        items: (body?.runs ?? []).map(toRun),
        nextPageToken: wireToken(body?.next_page_token),
      }));
    });
  }

  async logMetric(runId: string, key: string, value: number, options: LogMetricOptions = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/runs/log-metric', {
      body: {
        run_id: checkString(runId, 'runId'),
        key: checkKey(key, 'key'),
        value: metricValue(value, 'value'),
        timestamp:
          options.timestamp === undefined ? Date.now() : timestampValue(options.timestamp, 'timestamp'),
        step: options.step === undefined ? 0 : stepValue(options.step, 'step'),
        ...(options.datasetName === undefined ? {} : { dataset_name: options.datasetName }),
        ...(options.datasetDigest === undefined ? {} : { dataset_digest: options.datasetDigest }),
        ...(options.modelId === undefined ? {} : { model_id: options.modelId }),
      },
      // The store keeps one copy of an identical metric (key, value, timestamp, step): a repeat changes nothing.
      idempotent: true,
      signal: options.signal,
    });
  }

  /** Logs a param (write-once in MLflow); returns the string stored, as Python's `log_param` does. */
  async logParam(runId: string, key: string, value: ParamValue, options: Signal = {}): Promise<string> {
    const text = paramString(value, 'value');
    await this.#http.post('/api/2.0/mlflow/runs/log-parameter', {
      body: { run_id: checkString(runId, 'runId'), key: checkKey(key, 'key'), value: text },
      // Logging a param again with the same value is accepted and changes nothing.
      idempotent: true,
      signal: options.signal,
    });
    return text;
  }

  async setTag(runId: string, key: string, value: string, options: Signal = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/runs/set-tag', {
      body: {
        run_id: checkString(runId, 'runId'),
        key: checkKey(key, 'key'),
        value: tagValue(value, 'value'),
      },
      idempotent: true,
      signal: options.signal,
    });
  }

  /** Deletes a tag; a tag that is not there gives a NotFoundError (so this is not retried). */
  async deleteTag(runId: string, key: string, options: Signal = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/runs/delete-tag', {
      body: { run_id: checkString(runId, 'runId'), key: checkKey(key, 'key') },
      signal: options.signal,
    });
  }

  /** Any number of metrics, params and tags, split to the server's limits, in order (see log-batch.ts). */
  async logBatch(runId: string, batch: LogBatchInput, options: SendBatchOptions = {}): Promise<void> {
    checkString(runId, 'runId');
    const chunks = chunkBatch(prepareBatch(batch));
    await sendBatch(this.#http, runId, chunks, options);
  }

  /** Records the datasets (and logged models) a run used. */
  async logInputs(
    runId: string,
    inputs: { datasets?: readonly DatasetInputInit[]; models?: ReadonlyArray<{ modelId: string }> },
    options: Signal = {},
  ): Promise<void> {
    const datasets = (inputs.datasets ?? []).map(datasetInputBody);
    const models = (inputs.models ?? []).map((m, i) => ({
      model_id: checkString(m.modelId, `models[${i}].modelId`),
    }));
    await this.#http.post('/api/2.0/mlflow/runs/log-inputs', {
      body: {
        run_id: checkString(runId, 'runId'),
        ...(datasets.length ? { datasets } : {}),
        ...(models.length ? { models } : {}),
      },
      // The store keeps a dataset (name, digest) and its input link once: a repeat changes nothing.
      idempotent: true,
      signal: options.signal,
    });
  }

  /** Every value ever logged for a metric, following page tokens (25,000 per request, as Python asks). */
  getMetricHistory(runId: string, key: string, options: PageOptions = {}): Paginator<Metric> {
    checkString(runId, 'runId');
    checkString(key, 'key');
    const size = pageSizeOf(options, 25_000, 25_000, 'getMetricHistory');
    return tokenPages(options, async (pageToken) => {
      const body = await this.#http.get('/api/2.0/mlflow/metrics/get-history', {
        params: {
          query: {
            run_id: runId,
            metric_key: key,
            max_results: size,
            ...(pageToken ? { page_token: pageToken } : {}),
          },
        },
        signal: options.signal,
      });
      return decoded('metric history page', () => ({
        items: (body?.metrics ?? []).map((m) => toMetric(m, runId)),
        nextPageToken: wireToken(body?.next_page_token),
      }));
    });
  }
}
