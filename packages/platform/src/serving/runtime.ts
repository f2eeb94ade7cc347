// A model's runtime, picked by its MLflow flavor. Only `onnx` runs in TypeScript (onnxruntime-node): a model
// trained in Python reaches a TypeScript service through ONNX. Any other flavor is an UnsupportedModelFlavorError.
import type { ColSpec, MLmodel } from '@mlops/mlflow';
import { ModelLoadError, UnsupportedModelFlavorError } from './errors';
import { createOnnxSession, type OnnxRuntimeLoader } from './onnx';
import type { ModelSession } from './runtime-types';

export type { ModelSession, OutputValue } from './runtime-types';

/** The flavors a predictor runs. */
export const SUPPORTED_FLAVORS: readonly string[] = ['onnx'];

export interface RuntimeOptions {
  /** How onnxruntime is imported (default `import('onnxruntime-node')`). */
  onnxRuntime?: OnnxRuntimeLoader;
  /** onnxruntime's session options (threads, execution providers, ...). */
  onnxSessionOptions?: Record<string, unknown>;
}

/** The model's column signature, in order; a model without one cannot be fed from named features. */
export function signatureColumns(uri: string, mlmodel: MLmodel): ColSpec[] {
  const inputs = mlmodel.signature?.inputs;
  if (!inputs || inputs.length === 0)
    throw new ModelLoadError(
      uri,
      'signature',
      'the model was logged without an input signature, so there is no telling which feature goes where. Log it with signature=infer_signature(X_train) (a DataFrame with the feature names).',
    );
  const columns: ColSpec[] = [];
  for (const spec of inputs) {
    if (spec.kind !== 'column' || spec.name === undefined)
      throw new ModelLoadError(
        uri,
        'signature',
        'its input signature is a tensor signature or has unnamed columns; a predictor fills named columns from features. Log the model with a column signature (a DataFrame input example or infer_signature on a DataFrame).',
      );
    columns.push(spec);
  }
  return columns;
}

/** Opens the model in `dir` with the runtime of its flavor. */
export async function openModelSession(
  uri: string,
  mlmodel: MLmodel,
  dir: string,
  columns: readonly ColSpec[],
  options: RuntimeOptions = {},
): Promise<ModelSession> {
  const onnx = mlmodel.flavors['onnx'];
  if (onnx)
    return createOnnxSession(uri, dir, onnx, columns, {
      ...(options.onnxRuntime ? { loader: options.onnxRuntime } : {}),
      ...(options.onnxSessionOptions ? { sessionOptions: options.onnxSessionOptions } : {}),
    });
  throw new UnsupportedModelFlavorError(uri, Object.keys(mlmodel.flavors), SUPPORTED_FLAVORS);
}

/** Checks the flavor before anything is downloaded. */
export function assertSupportedFlavor(uri: string, mlmodel: MLmodel): void {
  if (!SUPPORTED_FLAVORS.some((f) => f in mlmodel.flavors))
    throw new UnsupportedModelFlavorError(uri, Object.keys(mlmodel.flavors), SUPPORTED_FLAVORS);
}
