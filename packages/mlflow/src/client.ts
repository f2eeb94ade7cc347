import {
  type CallOptions,
  createHttpClient,
  type HttpClient,
  type Logger,
  type Paginator,
} from '@mlops/core';
import type { TokenPage } from '@mlops/core/sdk';
import {
  type ArtifactInfo,
  type ArtifactSource,
  Artifacts,
  type ArtifactTarget,
  type DownloadArtifactsOptions,
  type LogArtifactOptions,
  type TransferOptions,
} from './artifacts';
import { type MlflowConfig, type MlflowOptions, resolveMlflowConfig } from './config';
import type { paths } from './generated/mlflow';
import {
  type CreateLoggedModelOptions,
  type LoggedModel,
  LoggedModels,
  type SearchLoggedModelsOptions,
} from './logged-models';
import { ModelResolver, type ResolvedModel, type ResolvedRun } from './model-uri';
import {
  type CreateModelVersionOptions,
  type ModelStage,
  type ModelVersion,
  ModelVersions,
  type SearchModelVersionsOptions,
  type VersionRef,
} from './model-versions';
import {
  type CreateRegisteredModelOptions,
  type RegisteredModel,
  RegisteredModels,
  type SearchRegisteredModelsOptions,
} from './registered-models';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The HTTP client every resource of the MLflow client shares: typed by the generated MLflow spec. */
export type MlflowHttp = HttpClient<paths>;

/** The options of `new MlflowClient()`: the config spec's fields, plus what is injected rather than configured. */
export interface MlflowClientOptions extends MlflowOptions {
  /** The fetch to use (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * A typed client of MLflow's REST API, named after Python's `MlflowClient` in camelCase. Options resolve
 * once, here: option → MLflow's own environment variable → the local platform's default.
 */
export class MlflowClient {
  /** The resolved settings (credentials redacted wherever they are printed). */
  readonly config: MlflowConfig;
  /** The whole generated MLflow API over the same pipeline (auth, retries, timeouts), for what the surface does not cover. */
  readonly raw: MlflowHttp['raw'];
  readonly #http: MlflowHttp;

  constructor(options: MlflowClientOptions = {}) {
    this.config = resolveMlflowConfig(options);
    this.#http = createHttpClient<paths>({
      service: 'mlflow',
      baseUrl: this.config.trackingUri,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      auth: this.config.auth,
      retry: { maxRetries: this.config.maxRetries },
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.raw = this.#http.raw;
    this.#transfer = { fetch: options.fetch, headers: { ...options.headers } }; // mlflow-models: streamed uploads
  }

  // ---- Model registry, logged models, artifacts and model resolution (mlflow-models). Flat, as Python's
  // MlflowClient is: each method is one delegation to its resource (registered-models.ts, model-versions.ts,
  // logged-models.ts, artifacts.ts, model-uri.ts).
  #registeredModels: RegisteredModels | undefined;
  #modelVersions: ModelVersions | undefined;
  #loggedModels: LoggedModels | undefined;
  #artifacts: Artifacts | undefined;
  #resolver: ModelResolver | undefined;
  readonly #transfer: { fetch: typeof fetch | undefined; headers: Record<string, string> };
  get #rm(): RegisteredModels {
    this.#registeredModels ??= new RegisteredModels(this.#http);
    return this.#registeredModels;
  }
  get #mv(): ModelVersions {
    this.#modelVersions ??= new ModelVersions(this.#http);
    return this.#modelVersions;
  }
  get #lm(): LoggedModels {
    this.#loggedModels ??= new LoggedModels(this.#http);
    return this.#loggedModels;
  }

  get #art(): Artifacts {
    this.#artifacts ??= new Artifacts(
      {
        http: this.#http,
        trackingUri: this.config.trackingUri,
        auth: this.config.auth,
        maxRetries: this.config.maxRetries,
        idleTimeoutMs: this.config.attemptTimeoutMs,
        ...this.#transfer,
      },
      {
        runArtifactUri: async (runId, call) => {
          const body = await this.#http.get('/api/2.0/mlflow/runs/get', {
            params: { query: { run_id: runId } },
            ...call,
          });
          return body?.run?.info?.artifact_uri ?? '';
        },
        loggedModelArtifactUri: async (modelId, call) => (await this.#lm.get(modelId, call)).artifactLocation,
        modelVersionArtifactUri: (name, version, call) => this.#mv.getDownloadUri(name, version, call),
      },
    );
    return this.#artifacts;
  }

  get #models(): ModelResolver {
    this.#resolver ??= new ModelResolver({
      versions: this.#mv,
      loggedModels: this.#lm,
      artifacts: this.#art,
      getRun: async (runId, call): Promise<ResolvedRun> => {
        const body = await this.#http.get('/api/2.0/mlflow/runs/get', {
          params: { query: { run_id: runId } },
          ...call,
        });
        const info = body?.run?.info;
        return {
          runId: info?.run_id ?? runId,
          experimentId: info?.experiment_id ?? '',
          runName: info?.run_name,
          status: info?.status,
          artifactUri: info?.artifact_uri ?? '',
        };
      },
      readText: (artifactUri, path, call) => this.#art.readText({ artifactUri }, path, call),
    });
    return this.#resolver;
  }

  createRegisteredModel(
    name: string,
    options?: CreateRegisteredModelOptions,
    call?: CallOptions,
  ): Promise<RegisteredModel> {
    return this.#rm.create(name, options, call);
  }
  getRegisteredModel(name: string, call?: CallOptions): Promise<RegisteredModel> {
    return this.#rm.get(name, call);
  }
  renameRegisteredModel(name: string, newName: string, call?: CallOptions): Promise<RegisteredModel> {
    return this.#rm.rename(name, newName, call);
  }
  updateRegisteredModel(name: string, description: string, call?: CallOptions): Promise<RegisteredModel> {
    return this.#rm.update(name, description, call);
  }
  deleteRegisteredModel(name: string, call?: CallOptions): Promise<void> {
    return this.#rm.delete(name, call);
  }
  /** Every matching registered model: `for await (const m of client.searchRegisteredModels({ filterString }))`. */
  searchRegisteredModels(
    options?: SearchRegisteredModelsOptions,
    call?: CallOptions,
  ): Paginator<RegisteredModel> {
    return this.#rm.search(options, call);
  }
  /** One page of registered models; pass `nextPageToken` back as `pageToken` for the next. */
  searchRegisteredModelsPage(
    options?: SearchRegisteredModelsOptions & { pageToken?: string },
    call?: CallOptions,
  ): Promise<TokenPage<RegisteredModel>> {
    return this.#rm.searchPage(options, call);
  }
  setRegisteredModelTag(name: string, key: string, value: string, call?: CallOptions): Promise<void> {
    return this.#rm.setTag(name, key, value, call);
  }
  deleteRegisteredModelTag(name: string, key: string, call?: CallOptions): Promise<void> {
    return this.#rm.deleteTag(name, key, call);
  }
  setRegisteredModelAlias(
    name: string,
    alias: string,
    version: VersionRef,
    call?: CallOptions,
  ): Promise<void> {
    return this.#mv.setAlias(name, alias, version, call);
  }
  deleteRegisteredModelAlias(name: string, alias: string, call?: CallOptions): Promise<void> {
    return this.#mv.deleteAlias(name, alias, call);
  }
  getModelVersionByAlias(name: string, alias: string, call?: CallOptions): Promise<ModelVersion> {
    return this.#mv.getByAlias(name, alias, call);
  }
  createModelVersion(
    name: string,
    source: string,
    options?: CreateModelVersionOptions,
    call?: CallOptions,
  ): Promise<ModelVersion> {
    return this.#mv.create(name, source, options, call);
  }
  getModelVersion(name: string, version: VersionRef, call?: CallOptions): Promise<ModelVersion> {
    return this.#mv.get(name, version, call);
  }
  updateModelVersion(
    name: string,
    version: VersionRef,
    description: string,
    call?: CallOptions,
  ): Promise<ModelVersion> {
    return this.#mv.update(name, version, description, call);
  }
  deleteModelVersion(name: string, version: VersionRef, call?: CallOptions): Promise<void> {
    return this.#mv.delete(name, version, call);
  }
  /** Every matching model version: `for await (const mv of client.searchModelVersions({ filterString }))`. */
  searchModelVersions(options?: SearchModelVersionsOptions, call?: CallOptions): Paginator<ModelVersion> {
    return this.#mv.search(options, call);
  }
  searchModelVersionsPage(
    options?: SearchModelVersionsOptions & { pageToken?: string },
    call?: CallOptions,
  ): Promise<TokenPage<ModelVersion>> {
    return this.#mv.searchPage(options, call);
  }
  setModelVersionTag(
    name: string,
    version: VersionRef,
    key: string,
    value: string,
    call?: CallOptions,
  ): Promise<void> {
    return this.#mv.setTag(name, version, key, value, call);
  }
  deleteModelVersionTag(name: string, version: VersionRef, key: string, call?: CallOptions): Promise<void> {
    return this.#mv.deleteTag(name, version, key, call);
  }
  /** Legacy stages (deprecated upstream, still served). */
  transitionModelVersionStage(
    name: string,
    version: VersionRef,
    stage: ModelStage,
    archiveExistingVersions?: boolean,
    call?: CallOptions,
  ): Promise<ModelVersion> {
    return this.#mv.transitionStage(name, version, stage, archiveExistingVersions, call);
  }
  /** Legacy: the newest version in each of `stages` (all stages when omitted). */
  getLatestVersions(name: string, stages?: string[], call?: CallOptions): Promise<ModelVersion[]> {
    return this.#mv.getLatest(name, stages, call);
  }
  getModelVersionDownloadUri(name: string, version: VersionRef, call?: CallOptions): Promise<string> {
    return this.#mv.getDownloadUri(name, version, call);
  }
  createLoggedModel(
    experimentId: string,
    options?: CreateLoggedModelOptions,
    call?: CallOptions,
  ): Promise<LoggedModel> {
    return this.#lm.create(experimentId, options, call);
  }
  getLoggedModel(modelId: string, call?: CallOptions): Promise<LoggedModel> {
    return this.#lm.get(modelId, call);
  }
  finalizeLoggedModel(
    modelId: string,
    status: 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED',
    call?: CallOptions,
  ): Promise<LoggedModel> {
    return this.#lm.finalize(modelId, status, call);
  }
  deleteLoggedModel(modelId: string, call?: CallOptions): Promise<void> {
    return this.#lm.delete(modelId, call);
  }
  setLoggedModelTags(modelId: string, tags: Record<string, string>, call?: CallOptions): Promise<void> {
    return this.#lm.setTags(modelId, tags, call);
  }
  deleteLoggedModelTag(modelId: string, key: string, call?: CallOptions): Promise<void> {
    return this.#lm.deleteTag(modelId, key, call);
  }
  /** Python's `log_model_params`. */
  logModelParams(modelId: string, params: Record<string, string>, call?: CallOptions): Promise<void> {
    return this.#lm.logParams(modelId, params, call);
  }
  searchLoggedModels(
    experimentIds: string[],
    options?: SearchLoggedModelsOptions,
    call?: CallOptions,
  ): Paginator<LoggedModel> {
    return this.#lm.search(experimentIds, options, call);
  }
  searchLoggedModelsPage(
    experimentIds: string[],
    options?: SearchLoggedModelsOptions & { pageToken?: string },
    call?: CallOptions,
  ): Promise<TokenPage<LoggedModel>> {
    return this.#lm.searchPage(experimentIds, options, call);
  }
  /** The artifact URI of a run (by id), logged model, model version or URI. */
  getArtifactUri(target: ArtifactTarget, call?: CallOptions): Promise<string> {
    return this.#art.uriOf(target, call);
  }
  /** Entries under `path`; `{ recursive: true }` lists every file below it. */
  listArtifacts(
    target: ArtifactTarget,
    path?: string,
    options?: { recursive?: boolean; signal?: AbortSignal; concurrency?: number },
  ): Promise<ArtifactInfo[]> {
    return this.#art.list(target, path, options);
  }
  /** Uploads a local file, a Blob, bytes or a stream (streamed; `fileName` needed for all but a file). */
  logArtifact(target: ArtifactTarget, source: ArtifactSource, options?: LogArtifactOptions): Promise<void> {
    return this.#art.logArtifact(target, source, options);
  }
  /** Uploads a local directory's files, a few at a time. */
  logArtifacts(
    target: ArtifactTarget,
    localDir: string,
    options?: Omit<LogArtifactOptions, 'fileName'>,
  ): Promise<void> {
    return this.#art.logArtifacts(target, localDir, options);
  }
  logText(
    target: ArtifactTarget,
    text: string,
    artifactFile: string,
    options?: TransferOptions,
  ): Promise<void> {
    return this.#art.logText(target, text, artifactFile, options);
  }
  logDict(
    target: ArtifactTarget,
    dictionary: Record<string, unknown>,
    artifactFile: string,
    options?: TransferOptions,
  ): Promise<void> {
    return this.#art.logDict(target, dictionary, artifactFile, options);
  }
  /** Downloads a file or a tree (streamed, resumable); resolves to its local path. */
  downloadArtifacts(
    target: ArtifactTarget,
    path?: string,
    options?: DownloadArtifactsOptions,
  ): Promise<string> {
    return this.#art.download(target, path, options);
  }
  /**
   * What `models:/name@alias`, `models:/name/3`, `models:/name/Production`, `models:/m-<id>` or
   * `runs:/<run_id>/<path>` stands for: version, run, logged model, artifact URI, parsed MLmodel, input example.
   */
  resolveModel(uri: string, call?: CallOptions): Promise<ResolvedModel> {
    return this.#models.resolve(uri, call);
  }
  /** Downloads a model's files into `dir` (as Python's `mlflow.artifacts.download_artifacts(uri, dst_path=dir)`). */
  downloadModel(
    uri: string,
    dir: string,
    options?: Omit<DownloadArtifactsOptions, 'dstPath'>,
  ): Promise<string> {
    return this.#models.download(uri, dir, options);
  }
  // ---- end of mlflow-models block
}
