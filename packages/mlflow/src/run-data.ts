// MLflow's JSON (snake_case, key/value lists, int64 numbers, "NaN" strings) turned into the shapes
// Python's MlflowClient hands out (Run, RunInfo, RunData with dicts, Experiment, Metric), camelCased.
//
// int64: MLflow sends timestamps and steps as JSON numbers. Past 2^53 - 1 a JavaScript number is no longer
// exact, so such a value is refused with a DecodeError rather than handed out rounded (ms timestamps are far
// below it; only a step could reach it). Writing refuses the same values (see log-batch.ts).
//
// Non-finite metric values: MLflow's JSON has "NaN", "Infinity", "-Infinity" strings. The SQL store keeps
// NaN but saves ±Infinity as ±1.7976931348623157e308 (the largest double), so a logged Infinity reads back
// as that number, in Python as here.
import { DecodeError } from '@mlops/core';
import type { components } from './generated/mlflow';

type Schemas = components['schemas'];

export type RunStatus = NonNullable<Schemas['mlflow_RunInfo']['status']>;
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** Python's `Experiment`. */
export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  tags: Record<string, string>;
  /** ms since the epoch. */
  creationTime: number | undefined;
  /** ms since the epoch. */
  lastUpdateTime: number | undefined;
}

/** Python's `RunInfo`. */
export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  /** ms since the epoch. */
  startTime: number | undefined;
  /** ms since the epoch; undefined while the run is running. */
  endTime: number | undefined;
  lifecycleStage: string;
  artifactUri: string;
}

/** Python's `RunData`: the latest value of each metric, params and tags as plain records. */
export interface RunData {
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** A dataset as MLflow records it (Python's `mlflow.entities.Dataset`). */
export interface Dataset {
  name: string;
  /** At most 36 characters. */
  digest: string;
  /** 'local', 'http', 'code', ... */
  sourceType: string;
  /** JSON describing where the data came from (at most 65,535 characters). */
  source: string;
  /** JSON, usually `{"mlflow_colspec": [...]}`. */
  schema?: string | undefined;
  /** JSON summary (`{"num_rows": ...}`). */
  profile?: string | undefined;
}

/** Python's `DatasetInput`: a dataset and its input tags (`mlflow.data.context` = 'training', ...). */
export interface DatasetInput {
  dataset: Dataset;
  tags: Record<string, string>;
}

/** Python's `RunInputs`. */
export interface RunInputs {
  datasetInputs: DatasetInput[];
  /** Logged models this run used as inputs (MLflow 3). */
  modelInputs: Array<{ modelId: string }>;
}

/** Python's `Run`. */
export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
}

/** One logged metric value (Python's `Metric`). */
export interface Metric {
  key: string;
  /** NaN comes back as NaN; ±Infinity as ±1.7976931348623157e308 on a SQL store. */
  value: number;
  /** ms since the epoch. */
  timestamp: number;
  step: number;
  runId?: string | undefined;
  datasetName?: string | undefined;
  datasetDigest?: string | undefined;
  modelId?: string | undefined;
}

/** A metric value as MLflow's JSON carries it. */
export type WireDouble = NonNullable<Schemas['mlflow_Metric']['value']>;

export function fromWireDouble(value: WireDouble | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  return value === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** What to send for a double: numbers as they are, non-finite ones as MLflow's strings. */
export function toWireDouble(value: number): WireDouble {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** An int64 field, refused when it is past what a JavaScript number holds exactly. */
export function exactInt(value: number | undefined, where: string): number | undefined {
  if (value === undefined || Number.isSafeInteger(value)) return value;
  throw new DecodeError(
    { what: 'int64 value', source: 'MLflow', field: where },
    `MLflow sent ${where} = ${value}, an int64 past 2^53 - 1 that a JavaScript number cannot hold exactly; it is refused rather than rounded. Read it with Python's MlflowClient, or keep steps and timestamps below 9007199254740991.`,
  );
}

export function toRecord(
  entries: ReadonlyArray<{ key?: string; value?: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries ?? []) if (entry.key !== undefined) out[entry.key] = entry.value ?? '';
  return out;
}

export function toExperiment(wire: Schemas['mlflow_Experiment'] | undefined): Experiment {
  const e = wire ?? {};
  const id = e.experiment_id ?? '';
  return {
    experimentId: id,
    name: e.name ?? '',
    artifactLocation: e.artifact_location ?? '',
    lifecycleStage: e.lifecycle_stage ?? '',
    tags: toRecord(e.tags),
    creationTime: exactInt(e.creation_time, `experiment ${id} creation_time`),
    lastUpdateTime: exactInt(e.last_update_time, `experiment ${id} last_update_time`),
  };
}

export function toRunInfo(wire: Schemas['mlflow_RunInfo'] | undefined): RunInfo {
  const i = wire ?? {};
  const id = i.run_id ?? i.run_uuid ?? '';
  return {
    runId: id,
    runName: i.run_name ?? '',
    experimentId: i.experiment_id ?? '',
    userId: i.user_id ?? '',
    status: i.status ?? 'RUNNING',
    startTime: exactInt(i.start_time, `run ${id} start_time`),
    endTime: exactInt(i.end_time, `run ${id} end_time`),
    lifecycleStage: i.lifecycle_stage ?? '',
    artifactUri: i.artifact_uri ?? '',
  };
}

export function toRun(wire: Schemas['mlflow_Run'] | undefined): Run {
  const r = wire ?? {};
  const metrics: Record<string, number> = {};
  for (const m of r.data?.metrics ?? []) if (m.key !== undefined) metrics[m.key] = fromWireDouble(m.value);
  return {
    info: toRunInfo(r.info),
    data: { metrics, params: toRecord(r.data?.params), tags: toRecord(r.data?.tags) },
    inputs: {
      datasetInputs: (r.inputs?.dataset_inputs ?? []).map((input) => ({
        dataset: {
          name: input.dataset?.name ?? '',
          digest: input.dataset?.digest ?? '',
          sourceType: input.dataset?.source_type ?? '',
          source: input.dataset?.source ?? '',
          schema: input.dataset?.schema,
          profile: input.dataset?.profile,
        },
        tags: toRecord(input.tags),
      })),
      modelInputs: (r.inputs?.model_inputs ?? []).map((input) => ({ modelId: input.model_id ?? '' })),
    },
  };
}

export function toMetric(wire: Schemas['mlflow_Metric'], runId?: string): Metric {
  const where = `metric ${JSON.stringify(wire.key ?? '')}${runId ? ` of run ${runId}` : ''}`;
  return {
    key: wire.key ?? '',
    value: fromWireDouble(wire.value),
    timestamp: exactInt(wire.timestamp, `${where} timestamp`) ?? 0,
    step: exactInt(wire.step, `${where} step`) ?? 0,
    runId: wire.run_id ?? runId,
    datasetName: wire.dataset_name,
    datasetDigest: wire.dataset_digest,
    modelId: wire.model_id,
  };
}
