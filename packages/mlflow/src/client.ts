import { createHttpClient, type Logger } from '@mlops/core';
import { REDACTED } from '@mlops/core/sdk';
import { type MlflowConfig, type MlflowOptions, resolveMlflowConfig } from './config';
import { classifyMlflowError } from './error-mapping';
import { type CreateExperimentOptions, Experiments, type SearchExperimentsOptions } from './experiments';
import type { paths } from './generated/mlflow';
import type { MlflowHttp } from './http';
import type { LogBatchInput, LogBatchOptions } from './log-batch';
import type { PageOptions, Paginator } from './paging';
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

function redactedConfig(config: MlflowConfig): MlflowConfig {
  const auth = config.auth;
  if (auth === undefined) return config;
  return {
    ...config,
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
}
