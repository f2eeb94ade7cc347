/**
 * What FeatureStore loads on first use of the offline store (historical retrieval, materialization,
 * pullLatest): Apache Arrow, pg, pg-copy-streams and the registry writers. One dynamic import, so that an
 * online-only service never loads them. See bench/feast-cold-start.mjs.
 */
export {
  incrementalStartMicros,
  materializationRecorderFor,
  recordedIntervalsMicros,
} from '../registry/materialization-intervals';
export { checkJoinKeyValues } from '../selection/selection';
export { prepareEntityFrame } from './entity-df';
export { checkFrame, describeEntitySql, PostgresHistoricalRetrievalJob } from './historical';
export { offlineIndexes } from './indexes';
export { materializeBounds, pullLatestPlan, viewsToMaterialize } from './materialize';
export { runMaterialization } from './materialize-run';
export { planHistoricalRequest } from './plan';
export { createOfflinePool, offlineError } from './postgres';
export { collectTable, openSession, streamQuery } from './session';
