// The errors of the serving workflow (createPredictor, createServingApp). Each says what was wrong and what to do;
// the HTTP app maps each class to a status (see app.ts). Errors of the components (MLflow's, Feast's, core's)
// pass through as they are, or as the `cause` of a ModelLoadError.
import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

/** A runtime package the model's flavor needs is not installed (or does not load on this runtime). */
export class ModelRuntimeUnavailableError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ModelRuntimeUnavailableError');
  static override isInstance(value: unknown): value is ModelRuntimeUnavailableError {
    return hasErrorMarker(value, ModelRuntimeUnavailableError.marker);
  }
  /** The npm package to install, e.g. `onnxruntime-node`. */
  readonly packageName: string;
  readonly flavor: string;
  constructor(init: { packageName: string; flavor: string; cause?: unknown }) {
    const reason = init.cause instanceof Error ? ` (${init.cause.message.split('\n')[0]})` : '';
    super(
      `The model's ${init.flavor} flavor runs on the optional peer dependency ${init.packageName}, which could not be loaded${reason}. Install it next to @mlops/platform: npm install ${init.packageName} (or pnpm add / yarn add / deno add npm:${init.packageName}), or pass your own runtime in the predictor's onnxRuntime option.`,
      { cause: init.cause },
    );
    this.packageName = init.packageName;
    this.flavor = init.flavor;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), packageName: this.packageName, flavor: this.flavor };
  }
}

/** The model has no flavor this package can run (it runs `onnx`). */
export class UnsupportedModelFlavorError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.UnsupportedModelFlavorError');
  static override isInstance(value: unknown): value is UnsupportedModelFlavorError {
    return hasErrorMarker(value, UnsupportedModelFlavorError.marker);
  }
  readonly uri: string;
  /** The flavors the model's MLmodel declares. */
  readonly flavors: readonly string[];
  /** The flavors a predictor can run. */
  readonly supported: readonly string[];
  constructor(uri: string, flavors: readonly string[], supported: readonly string[]) {
    super(
      `${uri} has the flavor(s) ${flavors.length > 0 ? flavors.join(', ') : '(none)'}, and a TypeScript predictor runs only ${supported.join(', ')}. Export the model to ONNX (skl2onnx, torch.onnx, tf2onnx) and log it with mlflow.onnx.log_model, or serve this flavor with MLflow's own scoring server.`,
    );
    this.uri = uri;
    this.flavors = flavors;
    this.supported = supported;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), uri: this.uri, flavors: this.flavors, supported: this.supported };
  }
}

/** Where a model load failed. */
export type ModelLoadPhase = 'resolve' | 'download' | 'runtime' | 'signature';

/** A model could not be loaded: MLflow unreachable or answering an error, files missing, a session that failed. */
export class ModelLoadError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ModelLoadError');
  static override isInstance(value: unknown): value is ModelLoadError {
    return hasErrorMarker(value, ModelLoadError.marker);
  }
  readonly uri: string;
  readonly phase: ModelLoadPhase;
  constructor(uri: string, phase: ModelLoadPhase, detail: string, options: { cause?: unknown } = {}) {
    super(`Loading the model ${uri} failed while ${describePhase(phase)}: ${detail}`, options);
    this.uri = uri;
    this.phase = phase;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), uri: this.uri, phase: this.phase };
  }
}

function describePhase(phase: ModelLoadPhase): string {
  switch (phase) {
    case 'resolve':
      return 'resolving it through MLflow';
    case 'download':
      return 'downloading its files';
    case 'runtime':
      return 'starting its runtime session';
    case 'signature':
      return 'reading its signature';
  }
}

/** What a predict call was doing when its deadline passed. */
export type PredictPhase = 'features' | 'model' | 'load';

/** A predict call (or the predictor's start) did not finish within its deadline. */
export class ServingDeadlineError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ServingDeadlineError');
  static override isInstance(value: unknown): value is ServingDeadlineError {
    return hasErrorMarker(value, ServingDeadlineError.marker);
  }
  readonly deadlineMs: number;
  readonly phase: PredictPhase;
  constructor(deadlineMs: number, phase: PredictPhase, options: { cause?: unknown } = {}) {
    const what =
      phase === 'load'
        ? `The predictor did not load its model within ${deadlineMs} ms. Check that MLflow is reachable (platform doctor), or raise loadTimeoutMs.`
        : `The prediction did not finish within its deadline of ${deadlineMs} ms (still ${phase === 'features' ? 'fetching online features' : 'running the model'}). Raise deadlineMs, or check the ${phase === 'features' ? 'online store (Redis)' : "model's size"}.`;
    super(what, options);
    this.deadlineMs = deadlineMs;
    this.phase = phase;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), deadlineMs: this.deadlineMs, phase: this.phase };
  }
}

/** A request the predictor cannot serve as given: no rows, a missing entity key, a body that is not JSON. */
export class ServingInputError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.ServingInputError');
  static override isInstance(value: unknown): value is ServingInputError {
    return hasErrorMarker(value, ServingInputError.marker);
  }
  /** Where in the request: `rows[2].driver_id`, `body`, ... */
  readonly field: string;
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.field = field;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

/** One model input the online store had no value for. */
export interface MissingFeature {
  row: number;
  column: string;
  /** Feast's status of the value: NOT_FOUND, NULL_VALUE, ... */
  status: string;
}

/**
 * The online store has no value for a feature the model needs (the entity was never materialized, or the
 * value is null) and the model's signature does not allow it to be missing.
 */
export class MissingFeatureValuesError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.MissingFeatureValuesError');
  static override isInstance(value: unknown): value is MissingFeatureValuesError {
    return hasErrorMarker(value, MissingFeatureValuesError.marker);
  }
  readonly missing: readonly MissingFeature[];
  constructor(missing: readonly MissingFeature[], entities: readonly unknown[]) {
    const first = missing[0];
    const entity = first ? entities[first.row] : undefined;
    super(
      `The online store has no value for ${first ? `feature ${JSON.stringify(first.column)} of row ${first.row}${entity === undefined ? '' : ` (${describeEntity(entity)})`}, status ${first.status}` : 'a feature'}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}, and the model's signature requires it. Materialize the feature view for these entities (mlops feast materialize) or check the ids.`,
    );
    this.missing = missing;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), missing: this.missing };
  }
}

function describeEntity(entity: unknown): string {
  if (typeof entity !== 'object' || entity === null) return String(entity);
  return Object.entries(entity)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** The model needs an input column that is neither a fetched feature nor a field of the request. */
export class FeatureMismatchError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.FeatureMismatchError');
  static override isInstance(value: unknown): value is FeatureMismatchError {
    return hasErrorMarker(value, FeatureMismatchError.marker);
  }
  readonly columns: readonly string[];
  constructor(model: string, columns: readonly string[], available: readonly string[]) {
    super(
      `The model ${model} needs the input column(s) ${columns.join(', ')}, which are neither among the features fetched (${available.join(', ') || 'none'}) nor fields of the request. Give the predictor the feature service or features the model was trained on.`,
    );
    this.columns = columns;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), columns: this.columns };
  }
}

/** The predictor was used after close(). */
export class PredictorClosedError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/platform.PredictorClosedError');
  static override isInstance(value: unknown): value is PredictorClosedError {
    return hasErrorMarker(value, PredictorClosedError.marker);
  }
  constructor() {
    super('The predictor is closed: create a new one with createPredictor().');
  }
}
