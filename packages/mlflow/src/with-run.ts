// client.withRun(options, body): a run that cannot be left RUNNING. The experiment is created when it is
// missing; metrics, params and tags are checked when logged (bad input throws at the call) and buffered,
// then sent with logBatch in the background, every `flushIntervalMs` or as soon as `batchSize` metrics
// wait; everything is flushed before the run ends FINISHED (body returned), FAILED (body threw: the error
// is rethrown) or KILLED (the signal aborted: an AbortError is thrown, without waiting for the body).
import { AbortError, ConflictError, MlopsError } from '@mlops/core';
import type { ArtifactSource, ArtifactTarget, LogArtifactOptions, TransferOptions } from './artifacts';
import { MlflowInputError } from './errors';
import type { CreateExperimentOptions } from './experiments';
import type { LogBatchOptions } from './log-batch';
import { type LogBatchInput, type MetricInput, prepareBatch } from './log-batch';
import type { Experiment, Run, RunInfo, RunStatus } from './run-data';
import type { CreateRunOptions, DatasetInputInit } from './runs';
import type { ParamValue } from './validation';

/**
 * The client calls a run makes (MlflowClient has them all). Typed here rather than as MlflowClient, so this
 * module does not import the client that imports it.
 */
export interface RunClient {
  getExperimentByName(name: string, options?: { signal?: AbortSignal }): Promise<Experiment | undefined>;
  createExperiment(name: string, options?: CreateExperimentOptions): Promise<string>;
  createRun(experimentId: string, options?: CreateRunOptions): Promise<Run>;
  logBatch(runId: string, batch: LogBatchInput, options?: LogBatchOptions): Promise<void>;
  setTerminated(
    runId: string,
    options?: { status?: RunStatus; endTime?: number; signal?: AbortSignal },
  ): Promise<void>;
  logInputs(
    runId: string,
    inputs: { datasets?: readonly DatasetInputInit[]; models?: ReadonlyArray<{ modelId: string }> },
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  logArtifact(target: ArtifactTarget, source: ArtifactSource, options?: LogArtifactOptions): Promise<void>;
  logArtifacts(
    target: ArtifactTarget,
    localDir: string,
    options?: Omit<LogArtifactOptions, 'fileName'>,
  ): Promise<void>;
  logText(
    target: ArtifactTarget,
    text: string,
    artifactFile: string,
    options?: TransferOptions,
  ): Promise<void>;
  logDict(
    target: ArtifactTarget,
    dictionary: Record<string, unknown>,
    artifactFile: string,
    options?: TransferOptions,
  ): Promise<void>;
}

export interface WithRunOptions {
  /** The experiment to log into, created when missing. Default: MLflow's "Default" experiment. */
  experimentName?: string;
  /** Or the experiment's id. */
  experimentId?: string;
  runName?: string;
  tags?: Readonly<Record<string, string>>;
  /** Aborting ends the run KILLED (after a flush) and rejects with an AbortError. */
  signal?: AbortSignal;
  /** How often buffered values are sent. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Send as soon as this many metrics wait. Default 1,000 (one request's worth). */
  batchSize?: number;
}

/** What the body of withRun logs through. Logging calls check their input at once and return at once. */
export interface ActiveRun {
  readonly runId: string;
  readonly experimentId: string;
  /** The run as it was created. */
  readonly info: RunInfo;
  /** Aborts when the run is being ended KILLED. */
  readonly signal: AbortSignal;
  /** Buffers one value; its timestamp is taken now unless given. */
  logMetric(key: string, value: number, options?: { step?: number; timestamp?: number }): void;
  /** Buffers several values at one step and timestamp. */
  logMetrics(
    metrics: Readonly<Record<string, number>>,
    options?: { step?: number; timestamp?: number },
  ): void;
  logParam(key: string, value: ParamValue): void;
  logParams(params: Readonly<Record<string, ParamValue>>): void;
  setTag(key: string, value: string): void;
  setTags(tags: Readonly<Record<string, string>>): void;
  /** Records datasets used (sent at once, after what is buffered). */
  logInputs(datasets: readonly DatasetInputInit[]): Promise<void>;
  /**
   * Uploads a local file, a Blob, bytes or a stream as an artifact of this run (streamed, never whole in
   * memory). The run does not end before every upload it started has settled; one that failed fails the run.
   */
  logArtifact(source: ArtifactSource, options?: LogArtifactOptions): Promise<void>;
  /** Uploads a local directory's files as artifacts of this run, a few at a time. */
  logArtifacts(localDir: string, options?: Omit<LogArtifactOptions, 'fileName'>): Promise<void>;
  /** Writes `text` as the artifact `artifactFile` (a path under the run's root). */
  logText(text: string, artifactFile: string, options?: TransferOptions): Promise<void>;
  /** Writes a dictionary as JSON or YAML (by the file's extension), as Python's `log_dict` writes it. */
  logDict(
    dictionary: Record<string, unknown>,
    artifactFile: string,
    options?: TransferOptions,
  ): Promise<void>;
  /** Sends everything buffered and waits for it; rejects if any send failed. */
  flush(): Promise<void>;
}

export type WithRunBody<T> = (run: ActiveRun) => T | Promise<T>;

const DEFAULT_EXPERIMENT_ID = '0';

async function experimentIdFor(client: RunClient, options: WithRunOptions): Promise<string> {
  if (options.experimentId !== undefined) return options.experimentId;
  const name = options.experimentName;
  if (name === undefined) return DEFAULT_EXPERIMENT_ID;
  const signal = options.signal ? { signal: options.signal } : {};
  const found = await client.getExperimentByName(name, signal);
  if (found) return found.experimentId;
  try {
    return await client.createExperiment(name, signal);
  } catch (error) {
    // Someone else created it between our two calls.
    if (!ConflictError.isInstance(error)) throw error;
    const again = await client.getExperimentByName(name, signal);
    if (!again) throw error;
    return again.experimentId;
  }
}

class BufferedRun implements ActiveRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly info: RunInfo;
  readonly #client: RunClient;
  readonly #controller = new AbortController();
  readonly #batchSize: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #metrics: MetricInput[] = [];
  #params: Array<{ key: string; value: ParamValue }> = [];
  #tags: Array<{ key: string; value: string }> = [];
  readonly #paramValues = new Map<string, string>();
  /** The chain of sends, one at a time, in order. */
  #sending: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  /** Artifact uploads started and not yet settled, and the first that failed. */
  readonly #uploads = new Set<Promise<void>>();
  #uploadFailure: { error: unknown } | undefined;
  #ended = false;

  constructor(client: RunClient, info: RunInfo, options: WithRunOptions) {
    this.#client = client;
    this.info = info;
    this.runId = info.runId;
    this.experimentId = info.experimentId;
    this.#batchSize = options.batchSize ?? 1000;
    this.#timer = setInterval(() => this.#schedule(), options.flushIntervalMs ?? 1000);
    // A pending flush timer must not keep Node alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  #open(): void {
    if (this.#ended) throw new MlopsError(`Run ${this.runId} has ended; log inside the withRun body.`);
    if (this.#failure) throw this.#failure.error;
  }

  logMetric(key: string, value: number, options: { step?: number; timestamp?: number } = {}): void {
    this.logMetrics({ [key]: value }, options);
  }

  logMetrics(
    metrics: Readonly<Record<string, number>>,
    options: { step?: number; timestamp?: number } = {},
  ): void {
    this.#open();
    const timestamp = options.timestamp ?? Date.now();
    const entries: MetricInput[] = Object.entries(metrics).map(([key, value]) => ({
      key,
      value,
      timestamp,
      step: options.step ?? 0,
    }));
    prepareBatch({ metrics: entries });
    this.#metrics.push(...entries);
    if (this.#metrics.length >= this.#batchSize) this.#schedule();
  }

  logParam(key: string, value: ParamValue): void {
    this.logParams({ [key]: value });
  }

  logParams(params: Readonly<Record<string, ParamValue>>): void {
    this.#open();
    const { params: checked } = prepareBatch({ params });
    for (const { key, value } of checked) {
      const before = this.#paramValues.get(key);
      if (before !== undefined && before !== value) {
        throw new MlflowInputError(
          `params.${key}`,
          `param ${JSON.stringify(key)} was logged as ${JSON.stringify(before)} and now as ${JSON.stringify(value)}; MLflow params are write-once. Use a tag or a metric for values that change.`,
        );
      }
      this.#paramValues.set(key, value);
    }
    this.#params.push(...checked);
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  setTags(tags: Readonly<Record<string, string>>): void {
    this.#open();
    const { tags: checked } = prepareBatch({ tags });
    this.#tags.push(...checked);
  }

  async logInputs(datasets: readonly DatasetInputInit[]): Promise<void> {
    this.#open();
    await this.flush();
    await this.#client.logInputs(this.runId, { datasets });
  }

  /** Runs an upload of this run under its signal, remembered until it settles so `end` can wait for it. */
  #upload(
    start: (signal: AbortSignal) => Promise<void>,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    this.#open();
    const signal = options.signal ? AbortSignal.any([options.signal, this.signal]) : this.signal;
    const upload = start(signal);
    this.#uploads.add(upload);
    const settled = () => {
      this.#uploads.delete(upload);
    };
    upload.then(settled, (error: unknown) => {
      settled();
      this.#uploadFailure ??= { error };
    });
    return upload;
  }

  logArtifact(source: ArtifactSource, options: LogArtifactOptions = {}): Promise<void> {
    return this.#upload(
      (signal) => this.#client.logArtifact({ runId: this.runId }, source, { ...options, signal }),
      options,
    );
  }

  logArtifacts(localDir: string, options: Omit<LogArtifactOptions, 'fileName'> = {}): Promise<void> {
    return this.#upload(
      (signal) => this.#client.logArtifacts({ runId: this.runId }, localDir, { ...options, signal }),
      options,
    );
  }

  logText(text: string, artifactFile: string, options: TransferOptions = {}): Promise<void> {
    return this.#upload(
      (signal) => this.#client.logText({ runId: this.runId }, text, artifactFile, { ...options, signal }),
      options,
    );
  }

  logDict(
    dictionary: Record<string, unknown>,
    artifactFile: string,
    options: TransferOptions = {},
  ): Promise<void> {
    return this.#upload(
      (signal) =>
        this.#client.logDict({ runId: this.runId }, dictionary, artifactFile, { ...options, signal }),
      options,
    );
  }

  /** Queues a send of what is buffered now, after the sends before it. */
  #schedule(): Promise<void> {
    if (this.#metrics.length === 0 && this.#params.length === 0 && this.#tags.length === 0)
      return this.#sending;
    const batch: LogBatchInput = { metrics: this.#metrics, params: this.#params, tags: this.#tags };
    this.#metrics = [];
    this.#params = [];
    this.#tags = [];
    this.#sending = this.#sending.then(async () => {
      if (this.#failure) return;
      try {
        await this.#client.logBatch(this.runId, batch, { concurrency: 1 });
      } catch (error) {
        this.#failure = { error };
      }
    });
    return this.#sending;
  }

  async flush(): Promise<void> {
    await this.#schedule();
    if (this.#failure) throw this.#failure.error;
  }

  /** Flushes and ends the run with `status`; the first error met (flush or end) is returned, not thrown. */
  async end(status: RunStatus): Promise<unknown> {
    let problem: unknown;
    try {
      await this.flush();
    } catch (error) {
      problem = error;
    }
    // Uploads the body started and did not wait for: the run ends after them, FAILED if one failed.
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    // (Ending KILLED aborts them on purpose: that is not a failure of the run.)
    if (this.#uploadFailure && problem === undefined && status !== 'KILLED')
      problem = this.#uploadFailure.error;
    this.#ended = true;
    clearInterval(this.#timer);
    try {
      await this.#client.setTerminated(this.runId, { status: problem === undefined ? status : 'FAILED' });
    } catch (error) {
      problem ??= error;
    }
    return problem;
  }

  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }
}

export async function withRun<T>(
  client: RunClient,
  options: WithRunOptions,
  body: WithRunBody<T>,
): Promise<T> {
  const signal = options.signal;
  if (signal?.aborted)
    throw new AbortError('withRun was aborted before the run started.', { reason: signal.reason });
  const experimentId = await experimentIdFor(client, options);
  const created = await client.createRun(experimentId, {
    ...(options.runName === undefined ? {} : { runName: options.runName }),
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    ...(signal === undefined ? {} : { signal }),
  });
  const run = new BufferedRun(client, created.info, options);

  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    if (!signal) return;
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = Promise.resolve()
    .then(() => body(run))
    .then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  try {
    const first = await Promise.race([outcome, aborted]);
    if (first === 'aborted') {
      run.abort(signal?.reason);
      const problem = await run.end('KILLED');
      throw new AbortError(
        `withRun was aborted: run ${run.runId} ended KILLED${problem ? ` (and ending it failed: ${String(problem instanceof Error ? problem.message : problem)})` : ''}.`,
        { reason: signal?.reason, cause: problem },
      );
    }
    if (!first.ok) {
      // The body's error wins; a failure to flush or end is attached as its cause only if it has none.
      await run.end('FAILED');
      throw first.error;
    }
    const problem = await run.end('FINISHED');
    if (problem !== undefined) throw problem;
    return first.value;
  } finally {
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
  }
}
