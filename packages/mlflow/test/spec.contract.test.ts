// The contract of openapi/mlflow.json: calls its operations on the real, pinned MLflow server of the
// platform and validates every answer against the spec's response schema (ajv). The spec's message
// schemas are closed (additionalProperties: false), so a field the server sends and the spec lacks fails.
// The suites live in ./contract/ and are imported here, so that they run in one process and the last test
// sees every operation they called.
import { describe, expect, it } from 'vitest';
import { refusals } from './contract/not-served';
import { called, refused, spec } from './contract/support';
import './contract/not-served';
import './contract/tracking';
import './contract/registry';
import './contract/traces';

describe('coverage', () => {
  it('calls every operation of the spec, or records the answer of the server that cannot serve it', () => {
    const all = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const missing = all.filter((id) => !called.has(id) && !refused.has(id) && !(id in notYetCovered));
    expect(missing, 'operations neither called, nor refused as recorded, nor listed').toEqual([]);
    // The lists stay honest: every recorded refusal was asserted, and no operation is in two places.
    expect(Object.keys(refusals).filter((id) => !refused.has(id))).toEqual([]);
    expect([...refused].filter((id) => called.has(id))).toEqual([]);
    expect(Object.keys(notYetCovered).filter((id) => called.has(id) || refused.has(id))).toEqual([]);
    expect(
      [...Object.keys(refusals), ...Object.keys(notYetCovered)].filter((id) => !all.includes(id)),
    ).toEqual([]);
  });
});

const GENAI = 'not called yet: the GenAI surface';
/** Operations no test calls yet. */
const notYetCovered: Record<string, string> = {
  // GET /api/2.0/mlflow/traces // POST /api/2.0/mlflow/traces // POST /api/2.0/mlflow/traces/delete-traces // POST /api/2.0/mlflow/traces/link-prompts // POST /api/2.0/mlflow/traces/link-to-run // PATCH /api/2.0/mlflow/traces/{request_id} // GET /api/2.0/mlflow/traces/{request_id}/info // DELETE /api/2.0/mlflow/traces/{request_id}/tags // PATCH /api/2.0/mlflow/traces/{request_id}/tags
  MlflowService_createDataset: GENAI, // POST /api/3.0/mlflow/datasets/create
  MlflowService_searchEvaluationDatasets_get: GENAI, // GET /api/3.0/mlflow/datasets/search
  MlflowService_searchEvaluationDatasets_post: GENAI, // POST /api/3.0/mlflow/datasets/search
  MlflowService_deleteDataset: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}
  MlflowService_getDataset: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}
  MlflowService_addDatasetToExperiments: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/add-experiments
  MlflowService_getDatasetExperimentIds: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}/experiment-ids
  MlflowService_deleteDatasetRecords: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_getDatasetRecords: GENAI, // GET /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_upsertDatasetRecords: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/records
  MlflowService_removeDatasetFromExperiments: GENAI, // POST /api/3.0/mlflow/datasets/{dataset_id}/remove-experiments
  MlflowService_setDatasetTags: GENAI, // PATCH /api/3.0/mlflow/datasets/{dataset_id}/tags
  MlflowService_deleteDatasetTag: GENAI, // DELETE /api/3.0/mlflow/datasets/{dataset_id}/tags/{key}
  MlflowService_createBudgetPolicy: GENAI, // POST /api/3.0/mlflow/gateway/budgets/create
  MlflowService_deleteBudgetPolicy: GENAI, // DELETE /api/3.0/mlflow/gateway/budgets/delete
  MlflowService_getBudgetPolicy: GENAI, // GET /api/3.0/mlflow/gateway/budgets/get
  MlflowService_listBudgetPolicies: GENAI, // GET /api/3.0/mlflow/gateway/budgets/list
  MlflowService_updateBudgetPolicy: GENAI, // POST /api/3.0/mlflow/gateway/budgets/update
  MlflowService_listBudgetWindows: GENAI, // GET /api/3.0/mlflow/gateway/budgets/windows
  MlflowService_createEndpointBinding: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/bindings/create
  MlflowService_deleteEndpointBinding: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/bindings/delete
  MlflowService_listEndpointBindings: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/bindings/list
  MlflowService_createGatewayEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/create
  MlflowService_deleteGatewayEndpoint: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/delete
  MlflowService_deleteGatewayEndpointTag: GENAI, // DELETE /api/3.0/mlflow/gateway/endpoints/delete-tag
  MlflowService_getGatewayEndpoint: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/get
  MlflowService_listGatewayEndpoints: GENAI, // GET /api/3.0/mlflow/gateway/endpoints/list
  MlflowService_attachModelToEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/models/attach
  MlflowService_detachModelFromEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/models/detach
  MlflowService_setGatewayEndpointTag: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/set-tag
  MlflowService_updateGatewayEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/endpoints/update
  MlflowService_addGuardrailToEndpoint: GENAI, // POST /api/3.0/mlflow/gateway/guardrails/add-to-endpoint
  MlflowService_createGatewayGuardrail: GENAI, // POST /api/3.0/mlflow/gateway/guardrails/create
  MlflowService_deleteGatewayGuardrail: GENAI, // DELETE /api/3.0/mlflow/gateway/guardrails/delete
  MlflowService_getGatewayGuardrail: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/get
  MlflowService_listGatewayGuardrails: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/list
  MlflowService_listEndpointGuardrailConfigs: GENAI, // GET /api/3.0/mlflow/gateway/guardrails/list-for-endpoint
  MlflowService_removeGuardrailFromEndpoint: GENAI, // DELETE /api/3.0/mlflow/gateway/guardrails/remove-from-endpoint
  MlflowService_updateEndpointGuardrailConfig: GENAI, // PATCH /api/3.0/mlflow/gateway/guardrails/update-config
  MlflowService_createGatewayModelDefinition: GENAI, // POST /api/3.0/mlflow/gateway/model-definitions/create
  MlflowService_deleteGatewayModelDefinition: GENAI, // DELETE /api/3.0/mlflow/gateway/model-definitions/delete
  MlflowService_getGatewayModelDefinition: GENAI, // GET /api/3.0/mlflow/gateway/model-definitions/get
  MlflowService_listGatewayModelDefinitions: GENAI, // GET /api/3.0/mlflow/gateway/model-definitions/list
  MlflowService_updateGatewayModelDefinition: GENAI, // POST /api/3.0/mlflow/gateway/model-definitions/update
  MlflowService_createGatewaySecret: GENAI, // POST /api/3.0/mlflow/gateway/secrets/create
  MlflowService_deleteGatewaySecret: GENAI, // DELETE /api/3.0/mlflow/gateway/secrets/delete
  MlflowService_getGatewaySecretInfo: GENAI, // GET /api/3.0/mlflow/gateway/secrets/get
  MlflowService_listGatewaySecretInfos: GENAI, // GET /api/3.0/mlflow/gateway/secrets/list
  MlflowService_updateGatewaySecret: GENAI, // POST /api/3.0/mlflow/gateway/secrets/update
  MlflowService_createIssue: GENAI, // POST /api/3.0/mlflow/issues
  MlflowService_searchIssues: GENAI, // POST /api/3.0/mlflow/issues/search
  MlflowService_getIssue: GENAI, // GET /api/3.0/mlflow/issues/{issue_id}
  MlflowService_updateIssue: GENAI, // PATCH /api/3.0/mlflow/issues/{issue_id}
  MlflowService_createLabelSchema: GENAI, // POST /api/3.0/mlflow/label-schemas/create
  MlflowService_deleteLabelSchema: GENAI, // DELETE /api/3.0/mlflow/label-schemas/delete
  MlflowService_getLabelSchema: GENAI, // GET /api/3.0/mlflow/label-schemas/get
  MlflowService_getLabelSchemaByName: GENAI, // GET /api/3.0/mlflow/label-schemas/get-by-name
  MlflowService_listLabelSchemas: GENAI, // GET /api/3.0/mlflow/label-schemas/list
  MlflowService_updateLabelSchema: GENAI, // PATCH /api/3.0/mlflow/label-schemas/update
  MlflowService_createPromptOptimizationJob: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs
  MlflowService_searchPromptOptimizationJobs_get: GENAI, // GET /api/3.0/mlflow/prompt-optimization/jobs/search
  MlflowService_searchPromptOptimizationJobs_post: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs/search
  MlflowService_deletePromptOptimizationJob: GENAI, // DELETE /api/3.0/mlflow/prompt-optimization/jobs/{job_id}
  MlflowService_getPromptOptimizationJob: GENAI, // GET /api/3.0/mlflow/prompt-optimization/jobs/{job_id}
  MlflowService_cancelPromptOptimizationJob: GENAI, // POST /api/3.0/mlflow/prompt-optimization/jobs/{job_id}/cancel
  MlflowService_createReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/create
  MlflowService_deleteReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/delete
  MlflowService_getReviewQueue: GENAI, // GET /api/3.0/mlflow/review-queues/get
  MlflowService_getReviewQueueByName: GENAI, // GET /api/3.0/mlflow/review-queues/get-by-name
  MlflowService_getOrCreateUserQueue: GENAI, // POST /api/3.0/mlflow/review-queues/get-or-create-user
  MlflowService_addItemsToReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/items/add
  MlflowService_listReviewQueueItems: GENAI, // GET /api/3.0/mlflow/review-queues/items/list
  MlflowService_removeItemsFromReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/items/remove
  MlflowService_setReviewQueueItemStatus: GENAI, // POST /api/3.0/mlflow/review-queues/items/set-status
  MlflowService_listReviewQueues: GENAI, // GET /api/3.0/mlflow/review-queues/list
  MlflowService_updateReviewQueue: GENAI, // POST /api/3.0/mlflow/review-queues/update
  MlflowService_deleteScorer: GENAI, // DELETE /api/3.0/mlflow/scorers/delete
  MlflowService_getScorer: GENAI, // GET /api/3.0/mlflow/scorers/get
  MlflowService_listScorers: GENAI, // GET /api/3.0/mlflow/scorers/list
  MlflowService_registerScorer: GENAI, // POST /api/3.0/mlflow/scorers/register
  MlflowService_listScorerVersions: GENAI, // GET /api/3.0/mlflow/scorers/versions // POST /api/3.0/mlflow/traces // GET /api/3.0/mlflow/traces/batchGet // POST /api/3.0/mlflow/traces/batchGetInfos // POST /api/3.0/mlflow/traces/calculate-filter-correlation // POST /api/3.0/mlflow/traces/delete-traces // GET /api/3.0/mlflow/traces/get // POST /api/3.0/mlflow/traces/metrics // POST /api/3.0/mlflow/traces/search // GET /api/3.0/mlflow/traces/{trace_id} // POST /api/3.0/mlflow/traces/{trace_id}/assessments // DELETE /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id} // GET /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id} // PATCH /api/3.0/mlflow/traces/{trace_id}/assessments/{assessment_id} // DELETE /api/3.0/mlflow/traces/{trace_id}/tags // PATCH /api/3.0/mlflow/traces/{trace_id}/tags
};
