// client.withRun(options, body): a run that cannot be left RUNNING. The experiment is created when it is
// missing; metrics, params and tags are checked when logged (bad input throws at the call) and buffered,
// then sent with logBatch in the background, every `flushIntervalMs` or as soon as `batchSize` metrics
// wait; everything is flushed before the run ends FINISHED (body returned), FAILED (body threw: the error
// is rethrown) or KILLED (the signal aborted: an AbortError is thrown, without waiting for the body).
//
// MLflow outages: a send that fails with a transient error (connection refused or reset, timeout, 5xx, 429)
// after the client's own retries keeps its values and is sent again, with backoff, until MLflow answers or
// `outageTimeoutMs` has passed since the outage began; the run's end (final flush and status) rides the
// same outage. Exactly once: a failed send may have landed (its answer lost), so before sending it again the
// run reads back the history of its metric keys and drops what MLflow already holds; params and tags are
// safe to send again (same value / last value wins). Every resend goes through that read-back: log-batch is
// sent with the HTTP pipeline's retries off, so the client never resends a batch on its own (exactly once
// does not rest on the store ignoring an exact duplicate). A refused connection sent nothing: the batch is
// sent again as it is, without reading back. The buffer is bounded (`maxBufferedMetrics`): a logging
// call that finds it full throws MlflowBufferFullError (nothing of it buffered), never drops silently.
import {
  AbortError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  MlopsError,
  RateLimitError,
  TimeoutError,
} from '@mlops/core';
import type { ArtifactSource, ArtifactTarget, LogArtifactOptions, TransferOptions } from './artifacts';
import { MlflowBufferFullError, MlflowInputError, MlflowOutageError } from './errors';
import type { CreateExperimentOptions } from './experiments';
import {
  chunkBatch,
  type LogBatchInput,
  type MetricInput,
  prepareBatch,
  type SendBatchOptions,
} from './log-batch';
import type { Experiment, Metric, Run, RunInfo, RunStatus } from './run-data';
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
  /** withRun passes `retry: false` (see SendBatchOptions): MlflowClient.logBatch hands it on. */
  logBatch(runId: string, batch: LogBatchInput, options?: SendBatchOptions): Promise<void>;
  getMetricHistory(runId: string, key: string): AsyncIterable<Metric>;
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
  /**
   * How long the run rides out MLflow being unreachable (connection refused or reset, timeouts, 5xx, 429 past
   * the client's own retries), keeping what it logged and sending it again when the server is back. Past it,
   * the run fails with an MlflowOutageError that counts what was not stored. Default 300,000 ms (5 minutes).
   */
  outageTimeoutMs?: number;
  /**
   * Metrics logged and not yet stored that the run keeps at most (about 100 bytes each). A logging call that
   * finds the buffer full throws MlflowBufferFullError; `await run.flush()` waits for room. Default 100,000.
   */
  maxBufferedMetrics?: number;
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
  /**
   * Sends everything buffered and waits for it (riding out an MLflow outage within `outageTimeoutMs`);
   * rejects if any send failed.
   */
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

/** A failure that says nothing about the run's data: MLflow (or the way to it) is away for now. */
function isTransient(error: unknown): boolean {
  return (
    ConnectionError.isInstance(error) ||
    TimeoutError.isInstance(error) ||
    InternalServerError.isInstance(error) ||
    RateLimitError.isInstance(error)
  );
}

/**
 * A connection refused: the request was never sent, so it cannot have landed. Node (undici) and Bun say so
 * by the cause's code, Deno in its message; anything not recognised counts as possibly landed.
 */
export function isRefused(error: unknown): boolean {
  if (!ConnectionError.isInstance(error)) return false;
  const seen = new Set<unknown>();
  let current: unknown = error.cause;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === 'ECONNREFUSED' || code === 'ConnectionRefused') return true;
    if (typeof message === 'string' && /tcp connect error: connection refused/i.test(message)) return true;
    current = cause;
  }
  return false;
}

/** A metric's identity as MLflow's SQL store keys it (key, step, timestamp, value); ±Infinity is stored as ±max. */
function metricIdentity(key: string, step: number, timestamp: number, value: number): string {
  const stored =
    value === Number.POSITIVE_INFINITY
      ? Number.MAX_VALUE
      : value === Number.NEGATIVE_INFINITY
        ? -Number.MAX_VALUE
        : value;
  return `${key}\u0000${step}\u0000${timestamp}\u0000${String(stored)}`;
}

/** One request's worth of buffered values (within log-batch's limits). */
interface Piece {
  metrics: MetricInput[];
  params: Array<{ key: string; value: ParamValue }>;
  tags: Array<{ key: string; value: string }>;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new MlflowInputError(
      name,
      `withRun's ${name} must be a positive number of ${name.endsWith('Ms') ? 'ms' : 'metrics'}, got ${String(value)}.`,
    );
  }
  return value;
}

class BufferedRun implements ActiveRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly info: RunInfo;
  readonly #client: RunClient;
  readonly #controller = new AbortController();
  readonly #batchSize: number;
  readonly #outageTimeoutMs: number;
  readonly #maxBuffered: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #metrics: MetricInput[] = [];
  #params: Array<{ key: string; value: ParamValue }> = [];
  #tags: Array<{ key: string; value: string }> = [];
  /** Logged and not yet stored by MLflow (buffered, queued or being sent). */
  readonly #unsent = { metrics: 0, params: 0, tags: 0 };
  /** When the current MLflow outage began (Date.now()), if one is under way. */
  #outageSince: number | undefined;
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
    this.#outageTimeoutMs = positive(options.outageTimeoutMs, 300_000, 'outageTimeoutMs');
    this.#maxBuffered = positive(options.maxBufferedMetrics, 100_000, 'maxBufferedMetrics');
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
    if (this.#unsent.metrics + entries.length > this.#maxBuffered) {
      throw new MlflowBufferFullError({
        runId: this.runId,
        buffered: this.#unsent.metrics,
        maxBufferedMetrics: this.#maxBuffered,
        outageMs: this.#outageSince === undefined ? 0 : Date.now() - this.#outageSince,
      });
    }
    this.#metrics.push(...entries);
    this.#unsent.metrics += entries.length;
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
    this.#unsent.params += checked.length;
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  setTags(tags: Readonly<Record<string, string>>): void {
    this.#open();
    const { tags: checked } = prepareBatch({ tags });
    this.#tags.push(...checked);
    this.#unsent.tags += checked.length;
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
    const pieces = this.#pieces();
    this.#sending = this.#sending.then(async () => {
      for (const piece of pieces) {
        if (this.#failure) return;
        try {
          await this.#deliver(piece);
        } catch (error) {
          this.#failure = { error };
        }
      }
    });
    return this.#sending;
  }

  /** Takes what is buffered, in requests within log-batch's limits; params and tags go first, in order. */
  #pieces(): Piece[] {
    const metrics = this.#metrics;
    const params = this.#params;
    const tags = this.#tags;
    this.#metrics = [];
    this.#params = [];
    this.#tags = [];
    return chunkBatch({ metrics, params, tags });
  }

  /**
   * Sends one request's worth, riding out an outage. After a transient failure the request may have landed
   * (the answer was lost): before sending it again, the metrics MLflow already holds are dropped from it.
   */
  async #deliver(piece: Piece): Promise<void> {
    let attempt = 0;
    let ambiguous = false;
    // What is not known to be stored: metrics a read-back found in MLflow leave it for good.
    let batch = piece;
    for (;;) {
      try {
        if (ambiguous) {
          batch = await this.#unlanded(batch);
          // What it left is exactly what MLflow lacks: a refused send of it changes nothing.
          ambiguous = false;
        }
        if (batch.metrics.length > 0 || batch.params.length > 0 || batch.tags.length > 0) {
          // One send per attempt: a resend is this loop's, after the read-back, never the pipeline's.
          await this.#client.logBatch(this.runId, batch, { concurrency: 1, retry: false });
        }
        this.#outageSince = undefined;
        this.#unsent.metrics -= piece.metrics.length;
        this.#unsent.params -= piece.params.length;
        this.#unsent.tags -= piece.tags.length;
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        // A refused connection sent nothing, and a 429 says the request was turned away unprocessed; anything
        // else (reset, timeout, 5xx) may have landed.
        if (!isRefused(error) && !RateLimitError.isInstance(error)) ambiguous = true;
        await this.#rideOut(error, attempt++, 'sending what the run logged');
      }
    }
  }

  /** The piece without the metrics MLflow already holds (read back from each key's history). */
  async #unlanded(piece: Piece): Promise<Piece> {
    if (piece.metrics.length === 0) return piece;
    const stored = new Set<string>();
    for (const key of new Set(piece.metrics.map((m) => m.key))) {
      for await (const m of this.#client.getMetricHistory(this.runId, key)) {
        stored.add(metricIdentity(m.key, m.step, m.timestamp, m.value));
      }
    }
    const metrics = piece.metrics.filter(
      (m) => !stored.has(metricIdentity(m.key, m.step ?? 0, m.timestamp ?? 0, m.value)),
    );
    return { ...piece, metrics };
  }

  /**
   * Waits before the next attempt (backoff 250 ms doubling up to 5 s, with jitter), or throws an
   * MlflowOutageError once the outage has lasted `outageTimeoutMs` or the run is being ended KILLED.
   */
  async #rideOut(error: unknown, attempt: number, what: string): Promise<void> {
    const now = Date.now();
    this.#outageSince ??= now;
    const elapsed = now - this.#outageSince;
    const giveUp = (why: string) =>
      new MlflowOutageError({
        runId: this.runId,
        outageMs: Date.now() - (this.#outageSince ?? now),
        notStored: { ...this.#unsent },
        what: `${what}, ${why}`,
        cause: error,
      });
    if (this.signal.aborted) throw giveUp('given up because the run was aborted');
    if (elapsed >= this.#outageTimeoutMs)
      throw giveUp(`given up after outageTimeoutMs (${this.#outageTimeoutMs} ms)`);
    const backoff = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
    // A server that said how long to wait (429/503 Retry-After) is given that, within the outage's budget.
    const asked = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    const wait = typeof asked === 'number' && asked >= 0 ? asked : backoff * (0.5 + Math.random() / 2);
    const delay = Math.min(wait, this.#outageTimeoutMs - elapsed);
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    if (this.signal.aborted) throw giveUp('given up because the run was aborted');
  }

  async flush(): Promise<void> {
    await this.#schedule();
    if (this.#failure) throw this.#failure.error;
  }

  /** Ends the run with `status`, riding out an outage within the same budget as the sends. */
  async #terminate(status: RunStatus): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.setTerminated(this.runId, { status });
        this.#outageSince = undefined;
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        await this.#rideOut(error, attempt, `ending the run ${status} (it stays RUNNING)`);
      }
    }
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
      await this.#terminate(problem === undefined ? status : 'FAILED');
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
  // Bad options are refused before a run exists.
  positive(options.outageTimeoutMs, 1, 'outageTimeoutMs');
  positive(options.maxBufferedMetrics, 1, 'maxBufferedMetrics');
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
