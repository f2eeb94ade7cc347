// createPredictor: a model from MLflow's registry, fed with online features from Feast, run by the runtime of
// its flavor, recorded in @mlops/metrics' serving metrics. The model behind an alias is watched: when the alias
// moves, the new version is loaded in the background and swapped in at once; calls in flight finish on the
// version they started with, whose session is released when the last of them ends.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError } from '@mlops/core';
import { EncodeError, InvalidFeatureRequestError, type OnlineReadOptions } from '@mlops/feast';
import {
  createDriftMonitor,
  createServingMetrics,
  type DriftMonitor,
  type ModelMetrics,
  type Profile,
  type ServingMetrics,
} from '@mlops/metrics';
import {
  type ColSpec,
  type MLmodel,
  ModelUriError,
  parseModelUri,
  type ResolvedModel,
  signatureSchema,
  validateInput,
} from '@mlops/mlflow';
import type { Platform } from '../platform';
import {
  FeatureMismatchError,
  type MissingFeature,
  MissingFeatureValuesError,
  ModelLoadError,
  ModelRuntimeUnavailableError,
  PredictorClosedError,
  type PredictPhase,
  ServingDeadlineError,
  ServingInputError,
  UnsupportedModelFlavorError,
} from './errors';
import type { OnnxRuntimeLoader } from './onnx';
import { assertSupportedFlavor, openModelSession, signatureColumns } from './runtime';
import type { ModelSession, OutputValue } from './runtime-types';

/** The value of an entity key (or of a request field) in a request row. int64 keys: bigint or a safe integer. */
export type EntityKeyValue = string | number | bigint;

/** One request row: the entity keys, plus any request fields the model takes as inputs. */
export type PredictRow = Readonly<Record<string, EntityKeyValue | boolean | null>>;

/** The artifact of the model's run that holds the training set's drift reference profile (buildTrainingSet). */
export const DRIFT_PROFILE_ARTIFACT = 'drift/reference-profile.json';

export interface PredictorOptions {
  /** `models:/name@alias` (watched), `models:/name/3`, `models:/name/latest`, `models:/m-<id>` or `runs:/<id>/<path>`. */
  model: string;
  /** The feature service the model was trained on. Give this or `features`. */
  featureService?: string;
  /** `view:feature` references. Give this or `featureService`. */
  features?: readonly string[];
  /** The join keys a request row carries, e.g. `['driver_id']`. */
  entityKeys: readonly string[];
  /** How often the alias (or `latest`/stage) is checked, in ms. Default 30 000; 0 never checks. */
  refreshIntervalMs?: number;
  /** The serving metrics kit to record into (share one per process); `false` records nothing. Default: a new kit. */
  metrics?: ServingMetrics | false;
  /** Drift gauges against the run's `drift/reference-profile.json`, when the run has one. Default true. */
  drift?: boolean;
  /** Observations per feature in the drift window. Default 1 000. */
  driftWindow?: number;
  /** The default deadline of a predict call, in ms. Default 2 000. */
  deadlineMs?: number;
  /** Deadline of createPredictor (resolve, download, session), in ms. Default 60 000. */
  loadTimeoutMs?: number;
  /** Where model files are downloaded (a directory per version inside). Default: the OS temp directory. */
  modelDir?: string;
  /** How onnxruntime is imported. Default `import('onnxruntime-node')`; e.g. `() => import('onnxruntime-web')`. */
  onnxRuntime?: OnnxRuntimeLoader;
  /** onnxruntime session options (threads, execution providers). */
  onnxSessionOptions?: Record<string, unknown>;
  /**
   * Calls that arrive in the same event-loop turn share one online read and one model run (adaptive batching),
   * up to `maxRows` rows per batch (default 256); each call still settles on its own (a bad row fails only its
   * call). `false`: every call reads and runs alone.
   */
  batching?: false | { maxRows?: number };
  /** Passed to every online read (`now` for TTLs, `statuses`). */
  onlineReadOptions?: OnlineReadOptions;
  /** Loads, swaps, releases and failed refreshes, as they happen. */
  onEvent?: (event: PredictorEvent) => void;
  /** Aborts createPredictor. */
  signal?: AbortSignal;
}

/** A loaded model version. */
export interface ServedModel {
  /** The URI this version was loaded from (`models:/name/3` for an alias). */
  uri: string;
  /** The registered model's name (or the logged model's, or the URI). */
  name: string;
  /** The registered version, or the logged model's id. */
  version: string;
  runId: string | undefined;
  modelId: string | undefined;
  flavor: string;
  /** The model's input columns, in the signature's order. */
  inputs: readonly string[];
  outputs: readonly string[];
  /** Whether drift is recorded (the run had a reference profile). */
  drift: boolean;
  loadedAt: Date;
}

export type PredictorEvent =
  | { type: 'loaded'; model: ServedModel }
  | { type: 'swapped'; from: ServedModel; to: ServedModel }
  | { type: 'released'; model: ServedModel }
  | { type: 'refresh-failed'; error: unknown }
  | { type: 'drift-unavailable'; model: ServedModel; error: unknown };

export interface PredictOptions {
  /** This call's deadline in ms (default: the predictor's `deadlineMs`). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface PredictTimings {
  /** Online feature read. */
  featuresMs: number;
  /** Model run. */
  modelMs: number;
  /** The whole call. */
  totalMs: number;
}

export interface PredictResult {
  /** One record of the model's outputs per row (`label`, `probabilities`, ...); int64 outputs are bigints. */
  predictions: Record<string, OutputValue>[];
  /** The version that answered. */
  model: { name: string; version: string; runId: string | undefined; uri: string };
  /** Each row's model input, by column (features from Feast, fields from the request). */
  inputs: Record<string, unknown>[];
  /** Feast's status of each feature input of each row (PRESENT, NOT_FOUND, OUTSIDE_MAX_AGE, ...). */
  statuses: Record<string, string>[];
  timings: PredictTimings;
}

export interface Predictor extends AsyncDisposable {
  /** The version answering now. */
  readonly model: ServedModel;
  /** The metrics kit recorded into (undefined with `metrics: false`). */
  readonly metrics: ServingMetrics | undefined;
  /** False once closed. */
  readonly ready: boolean;
  /** Features for the rows' entities → model → predictions; ends within its deadline, with a result or a typed error. */
  predict(rows: readonly PredictRow[], options?: PredictOptions): Promise<PredictResult>;
  /** Checks the alias now; resolves to true when a new version was swapped in. */
  refresh(options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Stops watching, waits for calls in flight, releases the sessions. Safe to call twice. */
  close(): Promise<void>;
}

interface Loaded {
  served: ServedModel;
  mlmodel: MLmodel;
  columns: ColSpec[];
  /** The zod schema of one input row, built once per version (building it is the costly part). */
  rowSchema: { safeParse(row: unknown): { success: boolean } };
  session: ModelSession;
  dir: string;
  metrics: ModelMetrics | undefined;
  drift: DriftMonitor | undefined;
  /** Signature column → where its value comes from, found on the first answer. */
  sources: Map<string, { kind: 'feature'; column: string } | { kind: 'request' }> | undefined;
  inFlight: number;
  retired: boolean;
  released: Promise<void> | undefined;
  idle: (() => void) | undefined;
  /** Calls waiting for the next batch, and whether a flush is scheduled. */
  queue: Pending[];
  scheduled: boolean;
}

/** A predict call waiting in a batch. */
interface Pending {
  rows: readonly PredictRow[];
  phase: { now: PredictPhase };
  resolve: (result: PredictResult) => void;
  reject: (error: unknown) => void;
}

const DEFAULTS = { refreshIntervalMs: 30_000, deadlineMs: 2_000, loadTimeoutMs: 60_000, batchRows: 256 };

function checkMs(value: number | undefined, name: string, allowZero: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw new ServingInputError(
      name,
      `${name}: expected a finite number of milliseconds${allowZero ? ' ≥ 0' : ' > 0'}, got ${String(value)}.`,
    );
}

/** Rejects when `ms` pass or `signal` aborts; `cleanup()` stops the timer. */
function deadline(
  ms: number,
  onTimeout: () => Error,
  signal: AbortSignal | undefined,
): { promise: Promise<never>; cleanup: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    if (signal) {
      onAbort = () =>
        reject(new AbortError('The call was aborted by the caller.', { reason: signal.reason }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  promise.catch(() => undefined);
  return {
    promise,
    cleanup: () => {
      clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}

function scoreAndClass(outputs: Record<string, OutputValue>): { score?: number; predictedClass?: string } {
  const out: { score?: number; predictedClass?: string } = {};
  for (const value of Object.values(outputs)) {
    if (out.predictedClass === undefined && (typeof value === 'bigint' || typeof value === 'string'))
      out.predictedClass = String(value);
    else if (out.predictedClass === undefined && typeof value === 'number' && Number.isInteger(value))
      out.predictedClass = String(value);
    if (out.score === undefined && Array.isArray(value) && value.length === 2 && typeof value[1] === 'number')
      out.score = value[1];
  }
  if (out.score !== undefined && !Number.isFinite(out.score)) delete out.score;
  return out;
}

/**
 * Loads the model behind `options.model` from MLflow and serves predictions for entity rows with Feast's
 * online features:
 *
 * ```ts
 * await using predictor = await createPredictor(platform, {
 *   model: 'models:/driver-ranker@champion',
 *   features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate', 'driver_hourly_stats:avg_daily_trips'],
 *   entityKeys: ['driver_id'],
 * });
 * const { predictions } = await predictor.predict([{ driver_id: 1001 }]);
 * ```
 */
export async function createPredictor(platform: Platform, options: PredictorOptions): Promise<Predictor> {
  const uri = options.model;
  const parsed = parseModelUri(uri);
  if ((options.featureService === undefined) === (options.features === undefined))
    throw new ServingInputError(
      'featureService',
      'Give the predictor exactly one of featureService (a feature service name) or features (view:feature references).',
    );
  if (!Array.isArray(options.entityKeys) || options.entityKeys.length === 0)
    throw new ServingInputError(
      'entityKeys',
      "entityKeys: name the join keys a request row carries, e.g. ['driver_id'].",
    );
  checkMs(options.refreshIntervalMs, 'refreshIntervalMs', true);
  checkMs(options.deadlineMs, 'deadlineMs', false);
  checkMs(options.loadTimeoutMs, 'loadTimeoutMs', false);
  if (
    options.batching !== undefined &&
    options.batching !== false &&
    options.batching.maxRows !== undefined &&
    !(Number.isInteger(options.batching.maxRows) && options.batching.maxRows >= 1)
  )
    throw new ServingInputError('batching.maxRows', 'batching.maxRows: expected an integer ≥ 1.');
  const entityKeys = [...options.entityKeys];
  const refreshMs = options.refreshIntervalMs ?? DEFAULTS.refreshIntervalMs;
  const defaultDeadline = options.deadlineMs ?? DEFAULTS.deadlineMs;
  const kit = options.metrics === false ? undefined : (options.metrics ?? createServingMetrics());
  const emit = (event: PredictorEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a listener's failure is not the predictor's
    }
  };
  const watched = parsed.kind === 'alias' || parsed.kind === 'latest' || parsed.kind === 'stage';

  /** Loads one pinned version fully (resolve, files, session, drift profile) or throws. */
  const load = async (resolved: ResolvedModel, signal: AbortSignal): Promise<Loaded> => {
    const mv = resolved.modelVersion;
    const pinned = mv ? `models:/${mv.name}/${mv.version}` : resolved.uri;
    assertSupportedFlavor(pinned, resolved.mlmodel);
    const columns = signatureColumns(pinned, resolved.mlmodel);
    const dir = await mkdtemp(join(options.modelDir ?? tmpdir(), 'mlops-serving-'));
    try {
      try {
        await platform.mlflow.downloadModel(pinned, join(dir, 'model'), { signal });
      } catch (error) {
        throw new ModelLoadError(pinned, 'download', describe(error), { cause: error });
      }
      const session = await openModelSession(pinned, resolved.mlmodel, join(dir, 'model'), columns, {
        ...(options.onnxRuntime ? { onnxRuntime: options.onnxRuntime } : {}),
        ...(options.onnxSessionOptions ? { onnxSessionOptions: options.onnxSessionOptions } : {}),
      });
      const name = mv?.name ?? resolved.loggedModel?.name ?? uri;
      const version = mv?.version ?? resolved.loggedModel?.modelId ?? resolved.run?.runId ?? '';
      const runId = mv?.runId || resolved.run?.runId || resolved.mlmodel.runId || undefined;
      const served: ServedModel = {
        uri: pinned,
        name,
        version,
        runId,
        modelId: resolved.loggedModel?.modelId ?? resolved.mlmodel.modelId,
        flavor: session.flavor,
        inputs: columns.map((c) => c.name ?? ''),
        outputs: session.outputNames,
        drift: false,
        loadedAt: new Date(),
      };
      let drift: DriftMonitor | undefined;
      if (kit && (options.drift ?? true) && runId) {
        try {
          const profile = await readDriftProfile(platform, runId, dir, signal);
          if (profile) {
            drift = createDriftMonitor({
              profile,
              registry: kit.registry,
              labels: { model_name: name, model_version: version },
              ...(options.driftWindow ? { window: options.driftWindow } : {}),
            });
            served.drift = true;
          }
        } catch (error) {
          if (signal.aborted) throw error;
          emit({ type: 'drift-unavailable', model: served, error });
        }
      }
      return {
        served,
        mlmodel: resolved.mlmodel,
        columns,
        rowSchema: signatureSchema(resolved.mlmodel, 'inputs'),
        session,
        dir,
        metrics: kit?.forModel({ model: name, version }),
        drift,
        sources: undefined,
        inFlight: 0,
        retired: false,
        released: undefined,
        idle: undefined,
        queue: [],
        scheduled: false,
      };
    } catch (error) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  };

  const resolve = async (target: string, signal: AbortSignal): Promise<ResolvedModel> => {
    try {
      return await platform.mlflow.resolveModel(target, { signal });
    } catch (error) {
      if (ModelUriError.isInstance(error)) throw error;
      throw new ModelLoadError(target, 'resolve', describe(error), { cause: error });
    }
  };

  let closed = false;
  const all = new Set<Loaded>();
  async function release(handle: Loaded): Promise<void> {
    handle.released ??= (async () => {
      all.delete(handle);
      await handle.session.release().catch(() => undefined);
      await rm(handle.dir, { recursive: true, force: true }).catch(() => undefined);
      emit({ type: 'released', model: handle.served });
    })();
    return handle.released;
  }
  const retire = (handle: Loaded) => {
    handle.retired = true;
    if (handle.inFlight === 0) void release(handle);
  };

  // ---- the first load, within loadTimeoutMs
  const loadMs = options.loadTimeoutMs ?? DEFAULTS.loadTimeoutMs;
  const startController = new AbortController();
  const outer = options.signal;
  const forward = () => startController.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });
  const startDeadline = deadline(loadMs, () => new ServingDeadlineError(loadMs, 'load'), outer);
  let current: Loaded;
  try {
    const first = (async () => load(await resolve(uri, startController.signal), startController.signal))();
    // A load that finishes after the deadline releases what it opened.
    first
      .then((late) => {
        if (startController.signal.aborted) void release(late);
      })
      .catch(() => undefined);
    current = await Promise.race([first, startDeadline.promise]);
  } catch (error) {
    startController.abort(error);
    throw error;
  } finally {
    startDeadline.cleanup();
    outer?.removeEventListener('abort', forward);
  }
  all.add(current);
  emit({ type: 'loaded', model: current.served });

  // ---- watching the alias
  let timer: ReturnType<typeof setTimeout> | undefined;
  let refreshing: Promise<boolean> | undefined;
  /** The version last refused for good (see checkNow). */
  let refused: string | undefined;
  const refreshController = new AbortController();
  const checkNow = async (): Promise<boolean> => {
    if (closed || !watched) return false;
    const signal = refreshController.signal;
    let resolved: ResolvedModel | undefined;
    if (parsed.kind === 'alias') {
      const mv = await platform.mlflow.getModelVersionByAlias(parsed.name, parsed.alias, { signal });
      if (mv.version === current.served.version || mv.version === refused) return false;
      resolved = await resolve(`models:/${mv.name}/${mv.version}`, signal);
    } else {
      resolved = await resolve(uri, signal);
      const version = resolved.modelVersion?.version;
      if (version === current.served.version || version === refused) return false;
    }
    let next: Loaded;
    try {
      next = await load(resolved, signal);
    } catch (error) {
      // A version that can never load here (its flavor, signature or runtime) is not tried again every interval:
      // the current one keeps serving until the alias moves on. Transient failures are retried.
      if (
        UnsupportedModelFlavorError.isInstance(error) ||
        ModelRuntimeUnavailableError.isInstance(error) ||
        (ModelLoadError.isInstance(error) && (error.phase === 'signature' || error.phase === 'runtime'))
      )
        refused = resolved.modelVersion?.version;
      throw error;
    }
    if (closed) {
      await release(next);
      return false;
    }
    const previous = current;
    all.add(next);
    current = next; // atomic: every call from now on starts on `next`
    emit({ type: 'swapped', from: previous.served, to: next.served });
    retire(previous);
    return true;
  };
  const refresh = (): Promise<boolean> => {
    refreshing ??= checkNow().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  const schedule = () => {
    if (closed || !watched || refreshMs === 0) return;
    timer = setTimeout(() => {
      refresh()
        .catch((error: unknown) => {
          if (!closed) emit({ type: 'refresh-failed', error });
        })
        .finally(schedule);
    }, refreshMs);
    timer.unref?.();
  };
  schedule();

  // ---- predicting
  const featureRequest = options.featureService
    ? { featureService: options.featureService }
    : { features: options.features ?? [] };

  const checkRows = (rows: readonly PredictRow[]) => {
    if (!Array.isArray(rows) || rows.length === 0)
      throw new ServingInputError('rows', 'rows: give at least one row, e.g. [{ driver_id: 1001 }].');
    rows.forEach((row, i) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row))
        throw new ServingInputError(
          `rows[${i}]`,
          `rows[${i}]: expected an object of entity keys, got ${typeof row}.`,
        );
      for (const key of entityKeys) {
        const v = row[key];
        if (v === undefined || v === null)
          throw new ServingInputError(
            `rows[${i}].${key}`,
            `rows[${i}]: the entity key ${key} is missing (every row needs ${entityKeys.join(', ')}).`,
          );
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint')
          throw new ServingInputError(
            `rows[${i}].${key}`,
            `rows[${i}].${key}: expected a string, a safe integer or a bigint, got ${typeof v}.`,
          );
        if (typeof v === 'number' && !Number.isSafeInteger(v) && !Number.isFinite(v))
          throw new ServingInputError(`rows[${i}].${key}`, `rows[${i}].${key}: ${v} is not a valid key.`);
      }
    });
  };

  const maxRows = options.batching === false ? 0 : (options.batching?.maxRows ?? DEFAULTS.batchRows);

  /** Calls waiting for the next batch of `handle`: all that arrived in this event-loop turn. */
  const enqueue = (handle: Loaded, rows: readonly PredictRow[], phase: { now: PredictPhase }) =>
    new Promise<PredictResult>((resolve, reject) => {
      const call: Pending = { rows, phase, resolve, reject };
      if (maxRows === 0) {
        void runBatch(handle, [call]);
        return;
      }
      handle.queue.push(call);
      if (!handle.scheduled) {
        handle.scheduled = true;
        setImmediate(() => flush(handle));
      }
    });

  const flush = (handle: Loaded) => {
    handle.scheduled = false;
    const queue = handle.queue;
    handle.queue = [];
    let batch: Pending[] = [];
    let size = 0;
    for (const call of queue) {
      // A call is never split; a batch holds at most maxRows rows (or one larger call).
      if (batch.length > 0 && size + call.rows.length > maxRows) {
        void runBatch(handle, batch);
        batch = [];
        size = 0;
      }
      batch.push(call);
      size += call.rows.length;
    }
    if (batch.length > 0) void runBatch(handle, batch);
  };

  /** Where each signature column comes from (a fetched feature, or a request field), worked out once per version. */
  const sourcesOf = (handle: Loaded, featureNames: readonly string[], firstRow: PredictRow | undefined) => {
    if (handle.sources) return handle.sources;
    const sources: NonNullable<Loaded['sources']> = new Map();
    const names = featureNames.filter((n) => !entityKeys.includes(n));
    const unknown: string[] = [];
    for (const c of handle.columns) {
      const name = c.name ?? '';
      if (names.includes(name)) sources.set(name, { kind: 'feature', column: name });
      else {
        const suffixed = names.filter((n) => n.endsWith(`__${name}`));
        if (suffixed.length === 1) sources.set(name, { kind: 'feature', column: suffixed[0]! });
        else if (firstRow && name in firstRow) sources.set(name, { kind: 'request' });
        else unknown.push(name);
      }
    }
    if (unknown.length > 0) throw new FeatureMismatchError(handle.served.uri, unknown, names);
    handle.sources = sources;
    return sources;
  };

  /** One online read and one model run for every call of the batch; each call settles on its own. */
  const runBatch = async (handle: Loaded, batch: Pending[]): Promise<void> => {
    try {
      const allRows = batch.length === 1 ? batch[0]!.rows : batch.flatMap((call) => call.rows);
      const entityRows = allRows.map((row) =>
        Object.fromEntries(entityKeys.map((k) => [k, row[k] as EntityKeyValue])),
      );
      const t0 = performance.now();
      let online: Awaited<ReturnType<Platform['feast']['getOnlineFeatures']>>;
      try {
        online = await platform.feast.getOnlineFeatures({
          ...featureRequest,
          entityRows,
          fullFeatureNames: true,
          ...options.onlineReadOptions,
        });
      } catch (error) {
        handle.metrics?.observeFeatureFetch('error', (performance.now() - t0) / 1000);
        if (
          batch.length > 1 &&
          (InvalidFeatureRequestError.isInstance(error) || EncodeError.isInstance(error))
        ) {
          // One call's bad key must not fail the others: each goes again on its own.
          for (const call of batch) void runBatch(handle, [call]);
          return;
        }
        throw error;
      }
      const t1 = performance.now();
      handle.metrics?.observeFeatureFetch('success', (t1 - t0) / 1000);
      if (kit) kit.observeOnlineFeatures(online);
      const sources = sourcesOf(handle, online.featureNames, allRows[0]);

      const ready: Array<{
        call: Pending;
        inputs: Record<string, unknown>[];
        arrays: unknown[][];
        statuses: Record<string, string>[];
      }> = [];
      let offset = 0;
      for (const call of batch) {
        const base = offset;
        offset += call.rows.length;
        try {
          const inputs: Record<string, unknown>[] = [];
          const arrays: unknown[][] = [];
          const statuses: Record<string, string>[] = [];
          const missing: MissingFeature[] = [];
          call.rows.forEach((row, r) => {
            const input: Record<string, unknown> = {};
            const array: unknown[] = [];
            const status: Record<string, string> = {};
            for (const c of handle.columns) {
              const name = c.name ?? '';
              const source = sources.get(name);
              let value: unknown;
              if (source?.kind === 'feature') {
                const column = online.columns[source.column];
                value = column?.values[base + r] ?? null;
                const s = column?.statuses[base + r] ?? 'NOT_FOUND';
                status[name] = s;
                if ((value === null || value === undefined) && c.required)
                  missing.push({ row: r, column: name, status: s });
              } else {
                value = row[name] ?? null;
              }
              input[name] = value;
              array.push(value);
            }
            inputs.push(input);
            arrays.push(array);
            statuses.push(status);
          });
          if (missing.length > 0)
            throw new MissingFeatureValuesError(missing, entityRows.slice(base, base + call.rows.length));
          // The fast check with the schema built at load; on a failure, validateInput says what and where.
          if (!inputs.every((input) => handle.rowSchema.safeParse(input).success))
            validateInput(handle.mlmodel, inputs);
          call.phase.now = 'model';
          ready.push({ call, inputs, arrays, statuses });
        } catch (error) {
          call.reject(error);
        }
      }
      if (ready.length === 0) return;
      let predictions: Record<string, OutputValue>[];
      try {
        predictions = await handle.session.run(
          ready.length === 1 ? ready[0]!.arrays : ready.flatMap((r) => r.arrays),
        );
      } catch (error) {
        for (const r of ready) r.call.reject(error);
        return;
      }
      const t2 = performance.now();
      const model = {
        name: handle.served.name,
        version: handle.served.version,
        runId: handle.served.runId,
        uri: handle.served.uri,
      };
      let k = 0;
      for (const r of ready) {
        const mine = predictions.slice(k, k + r.arrays.length);
        k += r.arrays.length;
        mine.forEach((prediction, i) => {
          const observed = scoreAndClass(prediction);
          handle.metrics?.observePrediction(observed);
          handle.drift?.observe(r.inputs[i]!, observed.score);
        });
        r.call.resolve({
          predictions: mine,
          model: { ...model },
          inputs: r.inputs,
          statuses: r.statuses,
          timings: { featuresMs: t1 - t0, modelMs: t2 - t1, totalMs: t2 - t0 },
        });
      }
    } catch (error) {
      // Settling twice is a no-op: this reaches the calls not settled yet.
      for (const call of batch) call.reject(error);
    }
  };

  const predictor: Predictor = {
    get model() {
      return current.served;
    },
    metrics: kit,
    get ready() {
      return !closed;
    },
    async predict(rows, predictOptions = {}) {
      if (closed) throw new PredictorClosedError();
      checkRows(rows);
      const ms = predictOptions.deadlineMs ?? defaultDeadline;
      checkMs(ms, 'deadlineMs', false);
      const handle = current;
      handle.inFlight++;
      const end = handle.metrics?.startRequest();
      const started = performance.now();
      const phase: { now: PredictPhase } = { now: 'features' };
      const work = enqueue(handle, rows, phase).finally(() => {
        handle.inFlight--;
        if (handle.inFlight === 0) {
          handle.idle?.();
          if (handle.retired) void release(handle);
        }
      });
      const limit = deadline(ms, () => new ServingDeadlineError(ms, phase.now), predictOptions.signal);
      try {
        const result = await Promise.race([work, limit.promise]);
        end?.('success');
        result.timings.totalMs = performance.now() - started;
        return result;
      } catch (error) {
        end?.(ServingDeadlineError.isInstance(error) ? 'timeout' : 'error');
        work.catch(() => undefined);
        throw error;
      } finally {
        limit.cleanup();
      }
    },
    refresh: () => refresh(),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      refreshController.abort(new PredictorClosedError());
      await refreshing?.catch(() => undefined);
      await Promise.all(
        [...all].map(async (handle) => {
          if (handle.inFlight > 0) await new Promise<void>((done) => (handle.idle = done));
          await release(handle);
        }),
      );
    },
    [Symbol.asyncDispose]() {
      return predictor.close();
    },
  };
  return predictor;
}

async function readDriftProfile(
  platform: Platform,
  runId: string,
  dir: string,
  signal: AbortSignal,
): Promise<Profile | undefined> {
  const listing = await platform.mlflow.listArtifacts({ runId }, 'drift', { signal });
  if (!listing.some((f) => f.path === DRIFT_PROFILE_ARTIFACT)) return undefined;
  const local = await platform.mlflow.downloadArtifacts({ runId }, DRIFT_PROFILE_ARTIFACT, {
    dstPath: join(dir, 'drift'),
    signal,
  });
  const profile: Profile = JSON.parse(await readFile(local, 'utf8'));
  return profile;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
