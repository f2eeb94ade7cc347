// Model versions of the registry: create, get, update, delete, search, tags, legacy stages, aliases and the
// download URI. Answers are Python's ModelVersion entity in camelCase (tags as a record, aliases a list).

import type { CallOptions, Paginator } from '@mlops/core';
import { decoded, wireToken } from './decoded';
import type { components } from './generated/mlflow';
import type { MlflowHttp } from './http';
import { type PageOptions, tokenPages } from './paging';

type Schemas = components['schemas'];

/** A version of a registered model, as Python's `ModelVersion` has it. */
export interface ModelVersion {
  name: string;
  /** The version number, as MLflow sends it: a string ("1", "2", ...). */
  version: string;
  creationTimestamp: number | undefined;
  lastUpdatedTimestamp: number | undefined;
  description: string | undefined;
  /** '' when the server records none (as Python reads it). */
  userId: string;
  /** The legacy stage: `None`, `Staging`, `Production` or `Archived`. */
  currentStage: string | undefined;
  /** Where the version's files came from (`models:/m-…`, `runs:/…`, `mlflow-artifacts:/…`). */
  source: string | undefined;
  runId: string | undefined;
  runLink: string | undefined;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY' | undefined;
  statusMessage: string | undefined;
  tags: Record<string, string>;
  aliases: string[];
  /** The MLflow 3 logged model this version was made from, if any. */
  modelId: string | undefined;
}

/** The legacy stages `transitionModelVersionStage` accepts (MLflow matches them case-insensitively). */
export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived';

export interface CreateModelVersionOptions {
  runId?: string;
  runLink?: string;
  description?: string;
  tags?: Record<string, string>;
  /** The logged model (`m-…`) the version is made from. */
  modelId?: string;
}

export interface SearchModelVersionsOptions extends PageOptions {
  /** MLflow's filter string, e.g. `name = 'churn' and tag.team = 'risk'`. */
  filter?: string;
  orderBy?: string[];
}

/** Tags as a record, in the order the server sent them. */
export function tagRecord(
  tags: ReadonlyArray<{ key?: string; value?: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) out[tag.key] = tag.value ?? '';
  return out;
}

export function toTagList(tags: Record<string, string> | undefined): Array<{ key: string; value: string }> {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

export function toModelVersion(v: Schemas['mlflow_ModelVersion'] | undefined): ModelVersion {
  return {
    name: v?.name ?? '',
    version: v?.version ?? '',
    creationTimestamp: v?.creation_timestamp,
    lastUpdatedTimestamp: v?.last_updated_timestamp,
    description: v?.description,
    // As Python's ModelVersion reads it: an unset user id is ''.
    userId: v?.user_id ?? '',
    currentStage: v?.current_stage,
    source: v?.source,
    runId: v?.run_id,
    runLink: v?.run_link,
    status: v?.status,
    statusMessage: v?.status_message,
    tags: tagRecord(v?.tags),
    aliases: [...(v?.aliases ?? [])],
    modelId: v?.model_id,
  };
}

/** One page of a search: its items and the token of the next page (undefined on the last). */
export interface SearchPage<T> {
  items: T[];
  nextPageToken: string | undefined;
}

/** MLflow's `max_results` of one request: `pageSize`, else no more than `maxResults` (the total) needs. */
export function pageSizeFor(options: PageOptions, fallback: number): number | undefined {
  return (
    options.pageSize ??
    (options.maxResults === undefined ? undefined : Math.min(options.maxResults, fallback))
  );
}

/** Versions are numbers to Python and strings on the wire; both are accepted. */
export type VersionRef = string | number;
const v = (version: VersionRef): string => String(version);

export class ModelVersions {
  readonly #http: MlflowHttp;
  constructor(http: MlflowHttp) {
    this.#http = http;
  }

  async create(
    name: string,
    source: string,
    options: CreateModelVersionOptions = {},
    call?: CallOptions,
  ): Promise<ModelVersion> {
    const body = await this.#http.post('/api/2.0/mlflow/model-versions/create', {
      body: {
        name,
        source,
        run_id: options.runId,
        run_link: options.runLink,
        description: options.description,
        tags: options.tags ? toTagList(options.tags) : undefined,
        model_id: options.modelId,
      },
      ...call,
    });
    return decoded('model version', () => toModelVersion(body?.model_version));
  }

  async get(name: string, version: VersionRef, call?: CallOptions): Promise<ModelVersion> {
    const body = await this.#http.get('/api/2.0/mlflow/model-versions/get', {
      params: { query: { name, version: v(version) } },
      ...call,
    });
    return decoded('model version', () => toModelVersion(body?.model_version));
  }

  async update(
    name: string,
    version: VersionRef,
    description: string,
    call?: CallOptions,
  ): Promise<ModelVersion> {
    const body = await this.#http.patch('/api/2.0/mlflow/model-versions/update', {
      body: { name, version: v(version), description },
      ...call,
    });
    return decoded('model version', () => toModelVersion(body?.model_version));
  }

  async delete(name: string, version: VersionRef, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/model-versions/delete', {
      body: { name, version: v(version) },
      ...call,
    });
  }

  /** One page of a search; pass the last page's `nextPageToken` for the next. */
  async searchPage(
    options: SearchModelVersionsOptions & { pageToken?: string } = {},
    call?: CallOptions,
  ): Promise<SearchPage<ModelVersion>> {
    const body = await this.#http.get('/api/2.0/mlflow/model-versions/search', {
      params: {
        query: {
          filter: options.filter,
          max_results: pageSizeFor(options, 200),
          order_by: options.orderBy,
          page_token: options.pageToken,
        },
      },
      ...call,
    });
    return decoded('model versions page', () => ({
      items: (body?.model_versions ?? []).map(toModelVersion),
      nextPageToken: wireToken(body?.next_page_token),
    }));
  }

  /** Every matching version, page after page: `for await (const mv of client.searchModelVersions(…))`. */
  search(options: SearchModelVersionsOptions = {}, call?: CallOptions): Paginator<ModelVersion> {
    return tokenPages({ ...(call?.signal ? { signal: call.signal } : {}), ...options }, (pageToken) =>
      this.searchPage({ ...options, pageToken }, call),
    );
  }

  async setTag(
    name: string,
    version: VersionRef,
    key: string,
    value: string,
    call?: CallOptions,
  ): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/model-versions/set-tag', {
      body: { name, version: v(version), key, value },
      // Setting a tag to a value twice leaves the same state.
      idempotent: true,
      ...call,
    });
  }

  async deleteTag(name: string, version: VersionRef, key: string, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/model-versions/delete-tag', {
      body: { name, version: v(version), key },
      ...call,
    });
  }

  /** Moves a version to a legacy stage (deprecated upstream, still served): `archiveExistingVersions` as in Python. */
  async transitionStage(
    name: string,
    version: VersionRef,
    stage: ModelStage,
    archiveExistingVersions = false,
    call?: CallOptions,
  ): Promise<ModelVersion> {
    const body = await this.#http.post('/api/2.0/mlflow/model-versions/transition-stage', {
      body: { name, version: v(version), stage, archive_existing_versions: archiveExistingVersions },
      ...call,
    });
    return decoded('model version', () => toModelVersion(body?.model_version));
  }

  /** Where the version's files are (`mlflow-artifacts:/…` on a server that serves artifacts). */
  async getDownloadUri(name: string, version: VersionRef, call?: CallOptions): Promise<string> {
    const body = await this.#http.get('/api/2.0/mlflow/model-versions/get-download-uri', {
      params: { query: { name, version: v(version) } },
      ...call,
    });
    return body?.artifact_uri ?? '';
  }

  async getByAlias(name: string, alias: string, call?: CallOptions): Promise<ModelVersion> {
    const body = await this.#http.get('/api/2.0/mlflow/registered-models/alias', {
      params: { query: { name, alias } },
      ...call,
    });
    return decoded('model version', () => toModelVersion(body?.model_version));
  }

  async setAlias(name: string, alias: string, version: VersionRef, call?: CallOptions): Promise<void> {
    await this.#http.post('/api/2.0/mlflow/registered-models/alias', {
      body: { name, alias, version: v(version) },
      // Pointing an alias at a version twice leaves the same state.
      idempotent: true,
      ...call,
    });
  }

  async deleteAlias(name: string, alias: string, call?: CallOptions): Promise<void> {
    await this.#http.delete('/api/2.0/mlflow/registered-models/alias', { body: { name, alias }, ...call });
  }

  /** The newest version per stage (legacy; all stages when `stages` is omitted). */
  async getLatest(name: string, stages?: string[], call?: CallOptions): Promise<ModelVersion[]> {
    const body = await this.#http.post('/api/2.0/mlflow/registered-models/get-latest-versions', {
      body: { name, stages },
      idempotent: true,
      ...call,
    });
    return decoded('model versions', () => (body?.model_versions ?? []).map(toModelVersion));
  }
}
