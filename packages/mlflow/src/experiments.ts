// Experiments: create, get (by id or name), search, tags, delete and restore, as Python's MlflowClient.

import { NotFoundError } from '@mlops/core';
import { decoded, wireToken } from './decoded';
import type { MlflowHttp } from './http';
import { type PageOptions, type Paginator, pageSizeOf, tokenPages } from './paging';
import { type Experiment, toExperiment, type ViewType } from './run-data';
import { checkKey, checkString, LIMITS, tagValue } from './validation';

export interface CreateExperimentOptions {
  artifactLocation?: string;
  tags?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

export interface SearchExperimentsOptions extends PageOptions {
  /** MLflow's filter syntax: `name LIKE 'churn-%'`, `tags.team = 'risk'`. */
  filter?: string;
  /** `['name ASC', 'creation_time DESC']`. */
  orderBy?: readonly string[];
  /** Default ACTIVE_ONLY. */
  viewType?: ViewType;
}

export class Experiments {
  readonly #http: MlflowHttp;

  constructor(http: MlflowHttp) {
    this.#http = http;
  }

  /** Creates an experiment and returns its id; a name in use gives a ConflictError (RESOURCE_ALREADY_EXISTS). */
  async create(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    checkString(name, 'name');
    const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({
      key: checkKey(key, `tags.${key}`),
      value: tagValue(value, `tags.${key}`, LIMITS.experimentTagValueLength),
    }));
    const body = await this.#http.post('/api/2.0/mlflow/experiments/create', {
      body: {
        name,
        ...(options.artifactLocation === undefined ? {} : { artifact_location: options.artifactLocation }),
        ...(tags.length ? { tags } : {}),
      },
      signal: options.signal,
    });
    return body?.experiment_id ?? '';
  }

  async get(experimentId: string, options: { signal?: AbortSignal } = {}): Promise<Experiment> {
    const body = await this.#http.get('/api/2.0/mlflow/experiments/get', {
      params: { query: { experiment_id: checkString(experimentId, 'experimentId') } },
      signal: options.signal,
    });
    return decoded('experiment', () => toExperiment(body?.experiment));
  }

  /** The experiment of that name, or undefined when there is none (as Python's `get_experiment_by_name`). */
  async getByName(name: string, options: { signal?: AbortSignal } = {}): Promise<Experiment | undefined> {
    try {
      const body = await this.#http.get('/api/2.0/mlflow/experiments/get-by-name', {
        params: { query: { experiment_name: checkString(name, 'name') } },
        signal: options.signal,
      });
      return decoded('experiment', () => toExperiment(body?.experiment));
    } catch (error) {
      if (NotFoundError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /** Every matching experiment, page by page (1,000 per request unless `pageSize` says otherwise). */
  search(options: SearchExperimentsOptions = {}): Paginator<Experiment> {
    const size = pageSizeOf(options, 1000, 50_000, 'searchExperiments');
    return tokenPages(options, async (pageToken) => {
      const body = await this.#http.post('/api/2.0/mlflow/experiments/search', {
        body: {
          max_results: size,
          ...(options.filter ? { filter: options.filter } : {}),
          ...(options.orderBy?.length ? { order_by: [...options.orderBy] } : {}),
          ...(options.viewType ? { view_type: options.viewType } : {}),
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        // A search changes nothing: safe to repeat.
        idempotent: true,
        signal: options.signal,
      });
      return decoded('experiments page', () => ({
        items: (body?.experiments ?? []).map(toExperiment),
        nextPageToken: wireToken(body?.next_page_token),
      }));
    });
  }

  async setTag(
    experimentId: string,
    key: string,
    value: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/experiments/set-experiment-tag', {
      body: {
        experiment_id: checkString(experimentId, 'experimentId'),
        key: checkKey(key, 'key'),
        value: tagValue(value, 'value', LIMITS.experimentTagValueLength),
      },
      // Setting a tag to the value it has leaves the same state (test/tracking.interop.test.ts).
      idempotent: true,
      signal: options.signal,
    });
  }

  async delete(experimentId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/experiments/delete', {
      body: { experiment_id: checkString(experimentId, 'experimentId') },
      signal: options.signal,
    });
  }

  async restore(experimentId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/experiments/restore', {
      body: { experiment_id: checkString(experimentId, 'experimentId') },
      signal: options.signal,
    });
  }
}
