// Registered models of the registry: create, get, rename, update, delete, search, tags. Answers are Python's
// RegisteredModel entity in camelCase: tags as a record, aliases as a record alias → version.

import type { CallOptions, Paginator } from '@mlops/core';
import { decoded, wireToken } from './decoded';
import type { components } from './generated/mlflow';
import type { MlflowHttp } from './http';
import {
  type ModelVersion,
  pageSizeFor,
  type SearchPage,
  tagRecord,
  toModelVersion,
  toTagList,
} from './model-versions';
import { type PageOptions, tokenPages } from './paging';

type Schemas = components['schemas'];

/** A registered model, as Python's `RegisteredModel` has it. */
export interface RegisteredModel {
  name: string;
  creationTimestamp: number | undefined;
  lastUpdatedTimestamp: number | undefined;
  description: string | undefined;
  userId: string | undefined;
  /** The newest version per legacy stage (as the server sends them). */
  latestVersions: ModelVersion[];
  tags: Record<string, string>;
  /** alias → version. */
  aliases: Record<string, string>;
  deploymentJobId: string | undefined;
}

export interface CreateRegisteredModelOptions {
  description?: string;
  tags?: Record<string, string>;
}

export interface SearchRegisteredModelsOptions extends PageOptions {
  /** MLflow's filter string, e.g. `name LIKE 'churn-%'`. */
  filter?: string;
  orderBy?: string[];
}

export function toRegisteredModel(m: Schemas['mlflow_RegisteredModel'] | undefined): RegisteredModel {
  const aliases: Record<string, string> = {};
  for (const a of m?.aliases ?? []) if (a.alias !== undefined) aliases[a.alias] = a.version ?? '';
  return {
    name: m?.name ?? '',
    creationTimestamp: m?.creation_timestamp,
    lastUpdatedTimestamp: m?.last_updated_timestamp,
    description: m?.description,
    userId: m?.user_id,
    latestVersions: (m?.latest_versions ?? []).map(toModelVersion),
    tags: tagRecord(m?.tags),
    aliases,
    deploymentJobId: m?.deployment_job_id,
  };
}

export class RegisteredModels {
  readonly #http: MlflowHttp;
  constructor(http: MlflowHttp) {
    this.#http = http;
  }

  async create(
    name: string,
    options: CreateRegisteredModelOptions = {},
    call?: CallOptions,
  ): Promise<RegisteredModel> {
    const body = await this.#http.post('/api/2.0/mlflow/registered-models/create', {
      body: {
        name,
        description: options.description,
        tags: options.tags ? toTagList(options.tags) : undefined,
      },
      ...call,
    });
    return decoded('registered model', () => toRegisteredModel(body?.registered_model));
  }

  async get(name: string, call?: CallOptions): Promise<RegisteredModel> {
    const body = await this.#http.get('/api/2.0/mlflow/registered-models/get', {
      params: { query: { name } },
      ...call,
    });
    return decoded('registered model', () => toRegisteredModel(body?.registered_model));
  }

  async rename(name: string, newName: string, call?: CallOptions): Promise<RegisteredModel> {
    const body = await this.#http.post('/api/2.0/mlflow/registered-models/rename', {
      body: { name, new_name: newName },
      ...call,
    });
    return decoded('registered model', () => toRegisteredModel(body?.registered_model));
  }

  async update(name: string, description: string, call?: CallOptions): Promise<RegisteredModel> {
    const body = await this.#http.patch('/api/2.0/mlflow/registered-models/update', {
      body: { name, description },
      ...call,
    });
    return decoded('registered model', () => toRegisteredModel(body?.registered_model));
  }

  async delete(name: string, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/registered-models/delete', { body: { name }, ...call });
  }

  /** One page of a search; pass the last page's `nextPageToken` for the next. */
  async searchPage(
    options: SearchRegisteredModelsOptions & { pageToken?: string } = {},
    call?: CallOptions,
  ): Promise<SearchPage<RegisteredModel>> {
    const body = await this.#http.get('/api/2.0/mlflow/registered-models/search', {
      params: {
        query: {
          filter: options.filter,
          max_results: pageSizeFor(options, 100),
          order_by: options.orderBy,
          page_token: options.pageToken,
        },
      },
      ...call,
    });
    return decoded('registered models page', () => ({
      items: (body?.registered_models ?? []).map(toRegisteredModel),
      nextPageToken: wireToken(body?.next_page_token),
    }));
  }

  /** Every matching model, page after page: `for await (const m of client.searchRegisteredModels(…))`. */
  search(options: SearchRegisteredModelsOptions = {}, call?: CallOptions): Paginator<RegisteredModel> {
    return tokenPages({ ...(call?.signal ? { signal: call.signal } : {}), ...options }, (pageToken) =>
      this.searchPage({ ...options, pageToken }, call),
    );
  }

  async setTag(name: string, key: string, value: string, call?: CallOptions): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/registered-models/set-tag', {
      body: { name, key, value },
      // Setting a tag to a value twice leaves the same state.
      idempotent: true,
      ...call,
    });
  }

  async deleteTag(name: string, key: string, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/registered-models/delete-tag', { body: { name, key }, ...call });
  }
}
