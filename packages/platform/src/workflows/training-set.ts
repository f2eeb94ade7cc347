import { createHash } from 'node:crypto';
import type { EntityDf, RetrievalProgress } from '@mlops/feast';
import { type Profile, type ProfileOptions, profileFrom } from '@mlops/metrics';
import type { ActiveRun, Dataset } from '@mlops/mlflow';
import { type DataType, type Field, type Table, Type, tableToIPC } from 'apache-arrow';
import type { Platform } from '../platform';
import { throwIfAborted, WorkflowInputError, workflowSignal } from './errors';

/** The artifact (on the run) that holds the drift reference profile; the serving predictor reads exactly this. */
export const REFERENCE_PROFILE_ARTIFACT = 'drift/reference-profile.json';

/** The `source_type` of the datasets `buildTrainingSet` logs. */
export const FEAST_SOURCE_TYPE = 'feast';

export interface BuildTrainingSetOptions {
  /** A feature service of the Feast repo (give this or `features`). */
  featureService?: string;
  /** Feature references `view:feature` (give this or `featureService`). */
  features?: readonly string[];
  /**
   * The entity rows with their points in time (and any label columns): Arrow table, row objects, columns, or
   * a SQL query run in the offline store (see @mlops/feast's EntityDf). A query is recorded in the dataset's
   * source, so the training set can be rebuilt.
   */
  entityDf: EntityDf;
  /** The entity column with each row's point in time (default `event_timestamp`, as Feast). */
  eventTimestampColumn?: string;
  /** Name columns `view__feature` (Feast's full feature names). */
  fullFeatureNames?: boolean;
  /**
   * The MLflow run to log to: its id, or the ActiveRun of `mlflow.withRun`. Without it nothing is logged and
   * the result has no `runId`.
   */
  run?: string | ActiveRun;
  /** The dataset's name in MLflow. Default: the feature service's name, else `training_set`. */
  datasetName?: string;
  /** The dataset input's `mlflow.data.context` tag. Default `training`. */
  context?: string;
  /**
   * How the drift reference profile is made (@mlops/metrics' profileFrom). Default: every feature column of
   * a kind that can be profiled (numbers, strings, booleans); `false` for none (no artifact is logged).
   */
  profile?: ProfileOptions | false;
  /** Deadline of the retrieval query in ms (PostgreSQL cancels it). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: TrainingSetProgress) => void;
}

/** How far `buildTrainingSet` is. */
export type TrainingSetProgress =
  | { phase: 'retrieving'; rows: number; totalRows: number | undefined }
  | { phase: 'profiling'; rows: number }
  | { phase: 'logging'; runId: string }
  | { phase: 'done'; rows: number };

/** The dataset as it was logged to MLflow (the fields of MLflow's Dataset, `schema` and `source` as JSON). */
export interface TrainingDataset extends Dataset {
  schema: string;
  profile: string;
}

export interface TrainingSet {
  /** The point-in-time correct training set: the entity columns as given, then the features. */
  table: Table;
  /** The feature columns of `table` (the rest are the entity rows' own columns). */
  featureColumns: string[];
  dataset: TrainingDataset;
  /** The drift reference profile (undefined with `profile: false`). */
  profile: Profile | undefined;
  /** Feature columns left out of the default profile because their type cannot be profiled. */
  profileSkipped: string[];
  /** The run the dataset and the profile were logged to. */
  runId: string | undefined;
}

/**
 * Historical features into Arrow, logged as an MLflow dataset input of the run (name, digest, a source that
 * points back at the feature service and the entity query, the MLflow schema) and the drift reference
 * profile as the run's artifact `drift/reference-profile.json`.
 *
 * ```ts
 * await platform.mlflow.withRun({ experimentName: 'churn' }, async (run) => {
 *   const { table } = await buildTrainingSet(platform, {
 *     featureService: 'driver_activity',
 *     entityDf: 'SELECT driver_id, event_timestamp, label FROM trips',
 *     run,
 *   });
 * });
 * ```
 */
export async function buildTrainingSet(
  platform: Platform,
  options: BuildTrainingSetOptions,
): Promise<TrainingSet> {
  const { featureService, features } = options;
  if ((featureService === undefined) === (features === undefined)) {
    throw new WorkflowInputError(
      'buildTrainingSet',
      'features',
      'give exactly one of featureService and features (view:feature references).',
    );
  }
  if (features !== undefined && features.length === 0)
    throw new WorkflowInputError(
      'buildTrainingSet',
      'features',
      'features is empty: name at least one view:feature.',
    );
  const runId =
    options.run === undefined ? undefined : typeof options.run === 'string' ? options.run : options.run.runId;
  if (runId !== undefined && runId.trim() === '')
    throw new WorkflowInputError(
      'buildTrainingSet',
      'run',
      'run is an empty string: pass a run id or an ActiveRun.',
    );
  const signal = workflowSignal(options.signal, platform.signal);
  throwIfAborted('buildTrainingSet', signal);
  const emit = options.onProgress ?? (() => {});

  const store = platform.feast;
  const project = await store.project;
  const featureCount =
    features?.length ??
    (await store.getFeatureService(featureService as string)).projections.reduce(
      (n, p) => n + p.features.length,
      0,
    );
  const job = await store.getHistoricalFeatures({
    ...(featureService !== undefined ? { featureService } : { features: features as readonly string[] }),
    entityDf: options.entityDf,
    ...(options.eventTimestampColumn !== undefined
      ? { eventTimestampColumn: options.eventTimestampColumn }
      : {}),
    ...(options.fullFeatureNames !== undefined ? { fullFeatureNames: options.fullFeatureNames } : {}),
  });
  const table = await job.toArrow({
    ...(signal ? { signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    onProgress: (p: RetrievalProgress) => emit({ phase: 'retrieving', rows: p.rows, totalRows: p.totalRows }),
  });
  throwIfAborted('buildTrainingSet', signal);
  const columns = table.schema.fields.map((f) => f.name);
  const featureColumns = columns.slice(columns.length - featureCount);
  const entityColumns = columns.slice(0, columns.length - featureCount);

  let profile: Profile | undefined;
  const profileSkipped: string[] = [];
  if (options.profile !== false) {
    emit({ phase: 'profiling', rows: table.numRows });
    let profileOptions: ProfileOptions | undefined = options.profile;
    if (profileOptions === undefined) {
      const profilable = table.schema.fields.filter(
        (f) => featureColumns.includes(f.name) && canProfile(f.type),
      );
      for (const name of featureColumns)
        if (!profilable.some((f) => f.name === name)) profileSkipped.push(name);
      profileOptions = { features: profilable.map((f) => f.name) };
    }
    profile = profileFrom(table, profileOptions);
  }

  const ipc = tableToIPC(table, 'stream');
  const dataset: TrainingDataset = {
    name: options.datasetName ?? featureService ?? 'training_set',
    digest: createHash('sha256').update(ipc).digest('hex').slice(0, 32),
    sourceType: FEAST_SOURCE_TYPE,
    source: JSON.stringify({
      feast: {
        project,
        repo_path: platform.config.feast.repoPath ?? null,
        feature_service: featureService ?? null,
        features: features ?? null,
        full_feature_names: options.fullFeatureNames ?? false,
      },
      entity_query: typeof options.entityDf === 'string' ? options.entityDf : null,
      entity_df:
        typeof options.entityDf === 'string'
          ? null
          : { rows: table.numRows, columns: entityColumns, event_timestamp_column: job.timestampColumn },
    }),
    schema: JSON.stringify({ mlflow_colspec: table.schema.fields.map(colSpecOf) }),
    profile: JSON.stringify({ num_rows: table.numRows, num_elements: table.numRows * columns.length }),
  };

  if (runId !== undefined && options.run !== undefined) {
    emit({ phase: 'logging', runId });
    const inputs = [{ dataset, tags: { 'mlflow.data.context': options.context ?? 'training' } }];
    const profileText = profile === undefined ? undefined : JSON.stringify(profile);
    if (typeof options.run === 'string') {
      await platform.mlflow.logInputs(runId, { datasets: inputs }, signal ? { signal } : {});
      if (profileText !== undefined)
        await platform.mlflow.logText(
          { runId },
          profileText,
          REFERENCE_PROFILE_ARTIFACT,
          signal ? { signal } : {},
        );
    } else {
      await options.run.logInputs(inputs);
      if (profileText !== undefined)
        await options.run.logText(profileText, REFERENCE_PROFILE_ARTIFACT, signal ? { signal } : {});
    }
  }
  emit({ phase: 'done', rows: table.numRows });
  return { table, featureColumns, dataset, profile, profileSkipped, runId };
}

/** Numbers, strings, booleans and string dictionaries: what @mlops/metrics' profileFrom takes. */
function canProfile(type: DataType): boolean {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Bool:
      return true;
    case Type.Dictionary: {
      const values = (type as DataType & { dictionary: DataType }).dictionary.typeId;
      return values === Type.Utf8 || values === Type.LargeUtf8;
    }
    default:
      return false;
  }
}

type MlflowColType =
  | string
  | { type: 'array'; items: MlflowColType }
  | { type: 'object'; properties: Record<string, MlflowColType & object> };

/** An Arrow type as MLflow's schema types name it (`long`, `double`, `datetime`, arrays...). */
function mlflowType(type: DataType): MlflowColType {
  switch (type.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = type as DataType & { bitWidth: number; isSigned: boolean };
      return bitWidth < 32 || (bitWidth === 32 && isSigned) ? 'integer' : 'long';
    }
    case Type.Float:
      return (type as DataType & { precision: number }).precision === 2 ? 'double' : 'float';
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'string';
    case Type.Bool:
      return 'boolean';
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return 'binary';
    case Type.Timestamp:
    case Type.Date:
      return 'datetime';
    case Type.Dictionary:
      return mlflowType((type as DataType & { dictionary: DataType }).dictionary);
    case Type.List:
    case Type.FixedSizeList: {
      const child = (type as DataType & { children: Field[] }).children[0];
      return { type: 'array', items: child ? mlflowType(child.type) : 'string' };
    }
    default:
      // Decimals, structs, maps, unions...: MLflow's catch-all type.
      return 'any';
  }
}

function colSpecOf(field: Field): Record<string, unknown> {
  const type = mlflowType(field.type);
  return typeof type === 'string'
    ? { type, name: field.name, required: !field.nullable }
    : { ...type, name: field.name, required: !field.nullable };
}
