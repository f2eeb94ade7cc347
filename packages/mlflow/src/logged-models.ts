// Logged models of MLflow 3 (`m-<32 hex>`): create, get, finalize, search, tags, params, delete. Answers are
// Python's LoggedModel entity in camelCase: tags and params as records, metrics as a list.

import { type CallOptions, MlopsError, type Paginator } from '@mlops/core';
import { decoded, wireToken } from './decoded';
import type { components } from './generated/mlflow';
import type { MlflowHttp } from './http';
import { pageSizeFor, type SearchPage, tagRecord, toTagList } from './model-versions';
import { type PageOptions, tokenPages } from './paging';

type Schemas = components['schemas'];

export type LoggedModelStatus = NonNullable<Schemas['mlflow_LoggedModelInfo']['status']>;

/** A metric attached to a logged model. NaN and ±Infinity come back as numbers. */
export interface LoggedModelMetric {
  key: string;
  value: number;
  timestamp: number | undefined;
  step: number | undefined;
  runId: string | undefined;
  datasetName: string | undefined;
  datasetDigest: string | undefined;
}

/** A logged model, as Python's `LoggedModel` has it. */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  /** Where its files are: `mlflow-artifacts:/<exp>/models/<model_id>/artifacts` on a serving server. */
  artifactLocation: string;
  creationTimestamp: number | undefined;
  lastUpdatedTimestamp: number | undefined;
  modelType: string | undefined;
  sourceRunId: string | undefined;
  status: LoggedModelStatus | undefined;
  /** '' when the server records none (as Python reads it). */
  statusMessage: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: LoggedModelMetric[];
}

export interface CreateLoggedModelOptions {
  name?: string;
  sourceRunId?: string;
  tags?: Record<string, string>;
  params?: Record<string, string>;
  modelType?: string;
}

export interface SearchLoggedModelsOptions extends PageOptions {
  /** e.g. `name = 'churn' AND metrics.auc > 0.8`. */
  filter?: string;
  datasets?: Array<{ datasetName: string; datasetDigest?: string }>;
  orderBy?: Array<{ fieldName: string; ascending?: boolean; datasetName?: string; datasetDigest?: string }>;
}

export function toNumber(value: number | 'NaN' | 'Infinity' | '-Infinity' | undefined): number {
  if (value === 'NaN' || value === undefined) return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return value;
}

export function toLoggedModel(m: Schemas['mlflow_LoggedModel'] | undefined): LoggedModel {
  const info = m?.info;
  return {
    modelId: info?.model_id ?? '',
    experimentId: info?.experiment_id ?? '',
    name: info?.name ?? '',
    artifactLocation: info?.artifact_uri ?? '',
    creationTimestamp: info?.creation_timestamp_ms,
    lastUpdatedTimestamp: info?.last_updated_timestamp_ms,
    modelType: info?.model_type,
    sourceRunId: info?.source_run_id,
    status: info?.status,
    // As Python's LoggedModel reads it: an unset message is ''.
    statusMessage: info?.status_message ?? '',
    tags: tagRecord(info?.tags),
    params: tagRecord(m?.data?.params),
    metrics: (m?.data?.metrics ?? []).map((metric) => ({
      key: metric.key ?? '',
      value: toNumber(metric.value),
      timestamp: metric.timestamp,
      step: metric.step,
      runId: metric.run_id,
      datasetName: metric.dataset_name,
      datasetDigest: metric.dataset_digest,
    })),
  };
}

export class LoggedModels {
  readonly #http: MlflowHttp;
  constructor(http: MlflowHttp) {
    this.#http = http;
  }

  async create(
    experimentId: string,
    options: CreateLoggedModelOptions = {},
    call?: CallOptions,
  ): Promise<LoggedModel> {
    const body = await this.#http.post('/api/2.0/mlflow/logged-models', {
      body: {
        experiment_id: experimentId,
        name: options.name,
        source_run_id: options.sourceRunId,
        model_type: options.modelType,
        tags: options.tags ? toTagList(options.tags) : undefined,
        params: options.params ? toTagList(options.params) : undefined,
      },
      ...call,
    });
    return decoded('model', () => toLoggedModel(body?.model));
  }

  async get(modelId: string, call?: CallOptions): Promise<LoggedModel> {
    const body = await this.#http.get('/api/2.0/mlflow/logged-models/{model_id}', {
      params: { path: { model_id: modelId } },
      ...call,
    });
    return decoded('model', () => toLoggedModel(body?.model));
  }

  /** Marks the model READY (its files are uploaded) or UPLOAD_FAILED. */
  async finalize(
    modelId: string,
    status: 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED',
    call?: CallOptions,
  ): Promise<LoggedModel> {
    const body = await this.#http.patch('/api/2.0/mlflow/logged-models/{model_id}', {
      params: { path: { model_id: modelId } },
      body: { model_id: modelId, status },
      ...call,
    });
    return decoded('model', () => toLoggedModel(body?.model));
  }

  async delete(modelId: string, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/logged-models/{model_id}', {
      params: { path: { model_id: modelId } },
      ...call,
    });
  }

  async setTags(modelId: string, tags: Record<string, string>, call?: CallOptions): Promise<void> {
    await this.#http.patch('/api/2.0/mlflow/logged-models/{model_id}/tags', {
      params: { path: { model_id: modelId } },
      body: { tags: toTagList(tags) },
      ...call,
    });
  }

  async deleteTag(modelId: string, key: string, call?: CallOptions): Promise<void> {
    if (key.includes('/')) {
      // The key travels in the URL path, and the server decodes %2F before it routes: no request can name it.
      throw new MlopsError(
        `Cannot delete logged-model tag ${JSON.stringify(key)}: MLflow routes the key in the URL path and decodes %2F before routing, so a key containing '/' cannot be addressed over REST. Overwrite it with setLoggedModelTags instead.`,
      );
    }
    await this.#http.delete('/api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}', {
      params: { path: { model_id: modelId, tag_key: key } },
      ...call,
    });
  }

  async logParams(modelId: string, params: Record<string, string>, call?: CallOptions): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/logged-models/{model_id}/params', {
      params: { path: { model_id: modelId } },
      body: { model_id: modelId, params: toTagList(params) },
      // Params are write-once with the same value: logging the same ones again leaves the same state.
      idempotent: true,
      ...call,
    });
  }

  async searchPage(
    experimentIds: string[],
    options: SearchLoggedModelsOptions & { pageToken?: string } = {},
    call?: CallOptions,
  ): Promise<SearchPage<LoggedModel>> {
    const body = await this.#http.post('/api/2.0/mlflow/logged-models/search', {
      body: {
        experiment_ids: experimentIds,
        filter: options.filter,
        max_results: pageSizeFor(options, 50),
        page_token: options.pageToken,
        datasets: options.datasets?.map((d) => ({
          dataset_name: d.datasetName,
          dataset_digest: d.datasetDigest,
        })),
        order_by: options.orderBy?.map((o) => ({
          field_name: o.fieldName,
          ascending: o.ascending,
          dataset_name: o.datasetName,
          dataset_digest: o.datasetDigest,
        })),
      },
      // A search changes nothing.
      idempotent: true,
      ...call,
    });
    return decoded('models page', () => ({
      items: (body?.models ?? []).map(toLoggedModel),
      nextPageToken: wireToken(body?.next_page_token),
    }));
  }

  search(
    experimentIds: string[],
    options: SearchLoggedModelsOptions = {},
    call?: CallOptions,
  ): Paginator<LoggedModel> {
    return tokenPages({ ...(call?.signal ? { signal: call.signal } : {}), ...options }, (pageToken) =>
      this.searchPage(experimentIds, { ...options, pageToken }, call),
    );
  }
}
