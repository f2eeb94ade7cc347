import { type CallOptions, createHttpClient, type Logger } from '@mlops/core';
import { REDACTED, redactUrl } from '@mlops/core/sdk';
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
import { classifyMlflowError } from './error-mapping';
import { type CreateExperimentOptions, Experiments, type SearchExperimentsOptions } from './experiments';
import type { paths } from './generated/mlflow';
import type { MlflowHttp } from './http';
import type { LogBatchInput, LogBatchOptions } from './log-batch';
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
  type SearchPage,
  type VersionRef,
} from './model-versions';
import type { PageOptions, Paginator } from './paging';
import {
  type CreateRegisteredModelOptions,
  type RegisteredModel,
  RegisteredModels,
  type SearchRegisteredModelsOptions,
} from './registered-models';
import type { Experiment, Metric, Run, RunInfo, RunStatus } from './run-data';
import {
  type CreateRunOptions,
  type DatasetInputInit,
  type LogMetricOptions,
  Runs,
  type SearchRunsOptions,
} from './runs';
import type { ParamValue } from './validation';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { type WithRunBody, type WithRunOptions, withRun } from './with-run';

/** The URL as given, or with its userinfo (basic auth) shown as REDACTED when it has one. */
function withoutUserinfo(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url) ? redactUrl(url) : url;
}

function redactedConfig(config: MlflowConfig): MlflowConfig {
  const auth = config.auth;
  // Userinfo in the tracking URI is basic auth: shown as REDACTED like the auth option.
  const trackingUri = withoutUserinfo(config.trackingUri);
  if (auth === undefined) return { ...config, trackingUri };
  return {
    ...config,
    trackingUri,
    auth:
      auth.type === 'basic'
        ? { type: 'basic', username: auth.username, password: REDACTED }
        : { type: 'bearer', token: REDACTED },
  };
}

/** The options of `new MlflowClient()`: the config spec's fields, plus what is injected rather than configured. */
export interface MlflowClientOptions extends MlflowOptions {
  /** The fetch to use (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /**
   * Hosts (`host` or `host:port`) besides the tracking server's whose `mlflow-artifacts://host/…` URIs this
   * client may follow. An artifact URI on any other host is refused (ArtifactPathError): the server named it,
   * and following it would send this client's credentials there. Default: none.
   */
  allowedArtifactHosts?: readonly string[];
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
  readonly #experiments: Experiments;
  readonly #runs: Runs;

  constructor(options: MlflowClientOptions = {}) {
    const config = resolveMlflowConfig(options);
    // What is shown (JSON, inspect) carries no password or token; the HTTP client alone holds them.
    this.config = redactedConfig(config);
    this.#http = createHttpClient<paths>({
      service: 'mlflow',
      baseUrl: config.trackingUri,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      auth: config.auth,
      retry: { maxRetries: this.config.maxRetries },
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      classifyError: classifyMlflowError,
    });
    this.raw = this.#http.raw;
    // mlflow-models: streamed artifact transfers carry the real credentials (this.config's are redacted).
    this.#transfer = {
      trackingUri: config.trackingUri,
      auth: config.auth,
      fetch: options.fetch,
      headers: { ...options.headers },
      allowedArtifactHosts: [...(options.allowedArtifactHosts ?? [])],
    };
    this.#experiments = new Experiments(this.#http);
    this.#runs = new Runs(this.#http);
  }

  // ---- Tracking: experiments -------------------------------------------------------------------------

  /** Creates an experiment; returns its id. A name in use is a ConflictError (`code` RESOURCE_ALREADY_EXISTS). */
  createExperiment(name: string, options?: CreateExperimentOptions): Promise<string> {
    return this.#experiments.create(name, options);
  }
  /** The experiment with that id; NotFoundError when there is none. */
  getExperiment(experimentId: string, options?: { signal?: AbortSignal }): Promise<Experiment> {
    return this.#experiments.get(experimentId, options);
  }
  /** The experiment with that name, or undefined (as Python's `get_experiment_by_name`). */
  getExperimentByName(name: string, options?: { signal?: AbortSignal }): Promise<Experiment | undefined> {
    return this.#experiments.getByName(name, options);
  }
  /** Matching experiments: `for await` over all of them, or `.pages()` one page at a time. */
  searchExperiments(options?: SearchExperimentsOptions): Paginator<Experiment> {
    return this.#experiments.search(options);
  }
  setExperimentTag(
    experimentId: string,
    key: string,
    value: string,
    options?: { signal?: AbortSignal },
  ): Promise<void> {
    return this.#experiments.setTag(experimentId, key, value, options);
  }
  deleteExperiment(experimentId: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#experiments.delete(experimentId, options);
  }
  restoreExperiment(experimentId: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#experiments.restore(experimentId, options);
  }

  // ---- Tracking: runs --------------------------------------------------------------------------------

  /** Creates a run in an experiment (status RUNNING). */
  createRun(experimentId: string, options?: CreateRunOptions): Promise<Run> {
    return this.#runs.create(experimentId, options);
  }
  /** Python's `Run`: `{ info, data: { metrics (latest value per key), params, tags }, inputs }`. */
  getRun(runId: string, options?: { signal?: AbortSignal }): Promise<Run> {
    return this.#runs.get(runId, options);
  }
  /** Changes a run's status and/or name. */
  updateRun(
    runId: string,
    options?: { status?: RunStatus; name?: string; signal?: AbortSignal },
  ): Promise<RunInfo> {
    return this.#runs.update(runId, options);
  }
  /** Ends a run: FINISHED unless a status is given, at `endTime` (default now). */
  async setTerminated(
    runId: string,
    options: { status?: RunStatus; endTime?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.#runs.update(runId, {
      ...options,
      status: options.status ?? 'FINISHED',
      endTime: options.endTime ?? Date.now(),
    });
  }
  deleteRun(runId: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#runs.delete(runId, options);
  }
  restoreRun(runId: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#runs.restore(runId, options);
  }
  /** Matching runs of the experiments: `for await` over all, or `.pages()` one page at a time. */
  searchRuns(experimentIds: string | readonly string[], options?: SearchRunsOptions): Paginator<Run> {
    return this.#runs.search(experimentIds, options);
  }
  /** Logs one metric value (NaN and ±Infinity allowed). */
  logMetric(runId: string, key: string, value: number, options?: LogMetricOptions): Promise<void> {
    return this.#runs.logMetric(runId, key, value, options);
  }
  /** Logs a param; returns the string stored (booleans as Python writes them: 'True', 'False'). */
  logParam(
    runId: string,
    key: string,
    value: ParamValue,
    options?: { signal?: AbortSignal },
  ): Promise<string> {
    return this.#runs.logParam(runId, key, value, options);
  }
  setTag(runId: string, key: string, value: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#runs.setTag(runId, key, value, options);
  }
  deleteTag(runId: string, key: string, options?: { signal?: AbortSignal }): Promise<void> {
    return this.#runs.deleteTag(runId, key, options);
  }
  /** Any number of metrics, params and tags, split into requests within the server's limits, in order. */
  logBatch(runId: string, batch: LogBatchInput, options?: LogBatchOptions): Promise<void> {
    return this.#runs.logBatch(runId, batch, options);
  }
  /** Records the datasets (name, digest, source, schema, profile) and logged models a run used. */
  logInputs(
    runId: string,
    inputs: { datasets?: readonly DatasetInputInit[]; models?: ReadonlyArray<{ modelId: string }> },
    options?: { signal?: AbortSignal },
  ): Promise<void> {
    return this.#runs.logInputs(runId, inputs, options);
  }
  /** Every value logged for a metric, in MLflow's order: `for await`, or `.pages()`. */
  getMetricHistory(runId: string, key: string, options?: PageOptions): Paginator<Metric> {
    return this.#runs.getMetricHistory(runId, key, options);
  }
  /**
   * Runs `body` in a new run and always ends it: FINISHED when it returns, FAILED when it throws (the error
   * is rethrown), KILLED when `signal` aborts. Metrics are buffered and flushed in batches in the
   * background, and flushed before the run ends.
   */
  withRun<T>(options: WithRunOptions, body: WithRunBody<T>): Promise<T> {
    return withRun(this, options, body);
  }

  // ---- Model registry, logged models, artifacts and model resolution (mlflow-models). Flat, as Python's
  // MlflowClient is: each method is one delegation to its resource (registered-models.ts, model-versions.ts,
  // logged-models.ts, artifacts.ts, model-uri.ts).
  #registeredModels: RegisteredModels | undefined;
  #modelVersions: ModelVersions | undefined;
  #loggedModels: LoggedModels | undefined;
  #artifacts: Artifacts | undefined;
  #resolver: ModelResolver | undefined;
  /** What streamed artifact transfers need besides the HTTP client (they leave its buffering pipeline). */
  readonly #transfer: {
    trackingUri: string;
    auth: MlflowConfig['auth'];
    fetch: typeof fetch | undefined;
    headers: Record<string, string>;
    allowedArtifactHosts: readonly string[];
  };
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
  ): Promise<SearchPage<RegisteredModel>> {
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
  ): Promise<SearchPage<ModelVersion>> {
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
  ): Promise<SearchPage<LoggedModel>> {
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
