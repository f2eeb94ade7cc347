export {
  createServingApp,
  errorAnswer,
  SERVING_METRICS_PORT,
  type ServingApp,
  type ServingAppOptions,
  type ServingListener,
} from './app';
export {
  FeatureMismatchError,
  type MissingFeature,
  MissingFeatureValuesError,
  ModelLoadError,
  type ModelLoadPhase,
  ModelRuntimeUnavailableError,
  PredictorClosedError,
  type PredictPhase,
  ServingDeadlineError,
  ServingInputError,
  UnsupportedModelFlavorError,
} from './errors';
export { parseJsonExact, stringifyExact } from './json';
export { ONNX_PACKAGE, ONNX_SESSION_DEFAULTS, type OnnxRuntimeLoader } from './onnx';
export {
  createPredictor,
  DRIFT_PROFILE_ARTIFACT,
  type EntityKeyValue,
  type PredictOptions,
  type Predictor,
  type PredictorEvent,
  type PredictorOptions,
  type PredictResult,
  type PredictRow,
  type PredictTimings,
  type ServedModel,
} from './predictor';
export { SUPPORTED_FLAVORS } from './runtime';
export type {
  ModelSession,
  OnnxRuntimeModule,
  OnnxSessionLike,
  OnnxTensorLike,
  OnnxValueMetadataLike,
  OutputValue,
} from './runtime-types';
