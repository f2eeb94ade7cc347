export {
  ModelRegistrationError,
  ModelValidationError,
  WorkflowInputError,
  type WorkflowName,
  WorkflowTimeoutError,
} from './errors';
export {
  type DeployDagOptions,
  type DeployDagProgress,
  type DeployedDag,
  dagIdsOf,
  deployDag,
  type PipelineProgress,
  type PipelineResult,
  type RunPipelineOptions,
  runPipeline,
} from './pipelines';
export {
  type PromoteModelVersionOptions,
  promoteModelVersion,
  type RegisteredVersion,
  type RegisterModelOptions,
  type RegisterModelProgress,
  registerModel,
  type ValidationOutcome,
} from './register-model';
export {
  type BuildTrainingSetOptions,
  buildTrainingSet,
  FEAST_SOURCE_TYPE,
  REFERENCE_PROFILE_ARTIFACT,
  type TrainingDataset,
  type TrainingSet,
  type TrainingSetProgress,
} from './training-set';
