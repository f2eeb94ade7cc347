// The AI gateway's configuration API: secrets, model definitions, endpoints (tags, models, bindings),
// guardrails and budget policies. Nothing here calls a model provider: the secret is a dummy key.
import { describe, expect, it } from 'vitest';
import { SAFETY_SCORER } from './genai';
import { check, mlflow, newExperiment, unique } from './support';

const G = '/api/3.0/mlflow/gateway';

describe('AI gateway configuration', () => {
  it('secrets, model definitions, endpoints, tags, models, bindings, guardrails, budgets: create, read, update, delete', async () => {
    const secretName = unique('secret');
    const secret = await mlflow.post(`${G}/secrets/create`, {
      body: {
        secret_name: secretName,
        secret_value: { api_key: 'sk-contract-not-a-key' },
        provider: 'openai',
      },
    });
    expect(check(`${G}/secrets/create`, 'post', secret)).toEqual([]);
    // The value never comes back whole, only masked (its first and last characters).
    expect(secret.secret?.masked_values).toEqual({ api_key: 'sk-...-key' });
    const secretId = secret.secret!.secret_id!;
    const secretGot = await mlflow.get(`${G}/secrets/get`, { params: { query: { secret_id: secretId } } });
    expect(check(`${G}/secrets/get`, 'get', secretGot)).toEqual([]);
    expect(secretGot.secret?.secret_name).toBe(secretName);
    const secretUpdated = await mlflow.post(`${G}/secrets/update`, {
      body: { secret_id: secretId, secret_value: { api_key: 'sk-contract-rotated' }, updated_by: 'contract' },
    });
    expect(check(`${G}/secrets/update`, 'post', secretUpdated)).toEqual([]);
    const secrets = await mlflow.get(`${G}/secrets/list`, { params: { query: { provider: 'openai' } } });
    expect(check(`${G}/secrets/list`, 'get', secrets)).toEqual([]);
    expect(secrets.secrets?.map((s) => s.secret_id)).toContain(secretId);

    const definition = async (model: string) => {
      const created = await mlflow.post(`${G}/model-definitions/create`, {
        body: { name: unique('model-def'), secret_id: secretId, provider: 'openai', model_name: model },
      });
      expect(check(`${G}/model-definitions/create`, 'post', created)).toEqual([]);
      return created.model_definition!.model_definition_id!;
    };
    const primary = await definition('gpt-4o-mini');
    const fallback = await definition('gpt-4o');
    const defGot = await mlflow.get(`${G}/model-definitions/get`, {
      params: { query: { model_definition_id: primary } },
    });
    expect(check(`${G}/model-definitions/get`, 'get', defGot)).toEqual([]);
    expect(defGot.model_definition).toMatchObject({ secret_name: secretName, model_name: 'gpt-4o-mini' });
    const defUpdated = await mlflow.post(`${G}/model-definitions/update`, {
      body: { model_definition_id: fallback, model_name: 'gpt-4.1', updated_by: 'contract' },
    });
    expect(check(`${G}/model-definitions/update`, 'post', defUpdated)).toEqual([]);
    expect(defUpdated.model_definition?.model_name).toBe('gpt-4.1');
    const defs = await mlflow.get(`${G}/model-definitions/list`, {
      params: { query: { secret_id: secretId } },
    });
    expect(check(`${G}/model-definitions/list`, 'get', defs)).toEqual([]);
    expect(defs.model_definitions?.map((d) => d.model_definition_id).toSorted()).toEqual(
      [primary, fallback].toSorted(),
    );

    const experimentId = await newExperiment();
    const endpointName = unique('endpoint');
    const endpoint = await mlflow.post(`${G}/endpoints/create`, {
      body: {
        name: endpointName,
        model_configs: [{ model_definition_id: primary, linkage_type: 'PRIMARY', weight: 1 }],
        experiment_id: experimentId,
        usage_tracking: false,
        created_by: 'contract',
      },
    });
    expect(check(`${G}/endpoints/create`, 'post', endpoint)).toEqual([]);
    const endpointId = endpoint.endpoint!.endpoint_id!;
    const endpointGot = await mlflow.get(`${G}/endpoints/get`, { params: { query: { name: endpointName } } });
    expect(check(`${G}/endpoints/get`, 'get', endpointGot)).toEqual([]);
    expect(endpointGot.endpoint?.endpoint_id).toBe(endpointId);
    const endpointUpdated = await mlflow.post(`${G}/endpoints/update`, {
      body: {
        endpoint_id: endpointId,
        routing_strategy: 'REQUEST_BASED_TRAFFIC_SPLIT',
        fallback_config: { strategy: 'SEQUENTIAL', max_attempts: 2 },
        updated_by: 'contract',
      },
    });
    expect(check(`${G}/endpoints/update`, 'post', endpointUpdated)).toEqual([]);
    // The 3.18 handler filters endpoints by provider only: a secret_id is ignored (so other tests' endpoints
    // may be listed too).
    const endpoints = await mlflow.get(`${G}/endpoints/list`, { params: { query: { secret_id: secretId } } });
    expect(check(`${G}/endpoints/list`, 'get', endpoints)).toEqual([]);
    expect(endpoints.endpoints?.map((e) => e.endpoint_id)).toContain(endpointId);

    const tagged = await mlflow.post(`${G}/endpoints/set-tag`, {
      body: { endpoint_id: endpointId, key: 'team', value: 'mlops' },
    });
    expect(check(`${G}/endpoints/set-tag`, 'post', tagged)).toEqual([]);
    const untagged = await mlflow.delete(`${G}/endpoints/delete-tag`, {
      body: { endpoint_id: endpointId, key: 'team' },
    });
    expect(check(`${G}/endpoints/delete-tag`, 'delete', untagged)).toEqual([]);

    const attached = await mlflow.post(`${G}/endpoints/models/attach`, {
      body: {
        endpoint_id: endpointId,
        model_config: { model_definition_id: fallback, linkage_type: 'FALLBACK', fallback_order: 1 },
      },
    });
    expect(check(`${G}/endpoints/models/attach`, 'post', attached)).toEqual([]);
    expect(attached.mapping).toMatchObject({ model_definition_id: fallback, linkage_type: 'FALLBACK' });
    const detached = await mlflow.post(`${G}/endpoints/models/detach`, {
      body: { endpoint_id: endpointId, model_definition_id: fallback },
    });
    expect(check(`${G}/endpoints/models/detach`, 'post', detached)).toEqual([]);

    const bindingId = { endpoint_id: endpointId, resource_type: 'scorer', resource_id: unique('scorer') };
    const bound = await mlflow.post(`${G}/endpoints/bindings/create`, {
      body: { ...bindingId, created_by: 'contract' },
    });
    expect(check(`${G}/endpoints/bindings/create`, 'post', bound)).toEqual([]);
    const bindings = await mlflow.get(`${G}/endpoints/bindings/list`, {
      params: { query: { endpoint_id: endpointId } },
    });
    expect(check(`${G}/endpoints/bindings/list`, 'get', bindings)).toEqual([]);
    expect(bindings.bindings?.map((b) => b.resource_id)).toEqual([bindingId.resource_id]);
    const unbound = await mlflow.delete(`${G}/endpoints/bindings/delete`, { body: bindingId });
    expect(check(`${G}/endpoints/bindings/delete`, 'delete', unbound)).toEqual([]);

    // A guardrail runs a registered scorer.
    const scorer = await mlflow.post('/api/3.0/mlflow/scorers/register', {
      body: { experiment_id: experimentId, name: 'safety', serialized_scorer: SAFETY_SCORER },
    });
    const guardrail = await mlflow.post(`${G}/guardrails/create`, {
      body: {
        name: unique('guardrail'),
        scorer_id: scorer.scorer_id!,
        scorer_version: scorer.version!,
        stage: 'BEFORE',
        action: 'VALIDATION',
      },
    });
    expect(check(`${G}/guardrails/create`, 'post', guardrail)).toEqual([]);
    const guardrailId = guardrail.guardrail!.guardrail_id!;
    const guardrailGot = await mlflow.get(`${G}/guardrails/get`, {
      params: { query: { guardrail_id: guardrailId } },
    });
    expect(check(`${G}/guardrails/get`, 'get', guardrailGot)).toEqual([]);
    expect(guardrailGot.guardrail?.scorer?.scorer_name).toBe('safety');
    const guardrails = await mlflow.get(`${G}/guardrails/list`, { params: { query: { max_results: 1000 } } });
    expect(check(`${G}/guardrails/list`, 'get', guardrails)).toEqual([]);
    const pair = { endpoint_id: endpointId, guardrail_id: guardrailId };
    const added = await mlflow.post(`${G}/guardrails/add-to-endpoint`, {
      body: { ...pair, execution_order: 1 },
    });
    expect(check(`${G}/guardrails/add-to-endpoint`, 'post', added)).toEqual([]);
    const reordered = await mlflow.patch(`${G}/guardrails/update-config`, {
      body: { ...pair, execution_order: 2 },
    });
    expect(check(`${G}/guardrails/update-config`, 'patch', reordered)).toEqual([]);
    expect(reordered.config?.execution_order).toBe(2);
    const configs = await mlflow.get(`${G}/guardrails/list-for-endpoint`, {
      params: { query: { endpoint_id: endpointId } },
    });
    expect(check(`${G}/guardrails/list-for-endpoint`, 'get', configs)).toEqual([]);
    expect(configs.configs?.map((c) => c.guardrail_id)).toEqual([guardrailId]);
    const removed = await mlflow.delete(`${G}/guardrails/remove-from-endpoint`, { body: pair });
    expect(check(`${G}/guardrails/remove-from-endpoint`, 'delete', removed)).toEqual([]);
    const guardrailDeleted = await mlflow.delete(`${G}/guardrails/delete`, {
      body: { guardrail_id: guardrailId },
    });
    expect(check(`${G}/guardrails/delete`, 'delete', guardrailDeleted)).toEqual([]);

    // A budget policy, scoped to this endpoint and only alerting, so no other gateway traffic is affected.
    const budget = await mlflow.post(`${G}/budgets/create`, {
      body: {
        budget_unit: 'USD',
        budget_amount: 10.5,
        duration: { unit: 'DAYS', value: 1 },
        target_scope: 'ENDPOINT',
        target_value: endpointId,
        budget_action: 'ALERT',
        created_by: 'contract',
      },
    });
    expect(check(`${G}/budgets/create`, 'post', budget)).toEqual([]);
    const id = budget.budget_policy!.budget_policy_id!;
    const got = await mlflow.get(`${G}/budgets/get`, { params: { query: { budget_policy_id: id } } });
    expect(check(`${G}/budgets/get`, 'get', got)).toEqual([]);
    expect(got.budget_policy).toMatchObject({ budget_amount: 10.5, target_value: endpointId });
    const updated = await mlflow.post(`${G}/budgets/update`, {
      body: { budget_policy_id: id, budget_amount: 20, updated_by: 'contract' },
    });
    expect(check(`${G}/budgets/update`, 'post', updated)).toEqual([]);
    expect(updated.budget_policy?.budget_amount).toBe(20);
    const listed = await mlflow.get(`${G}/budgets/list`, { params: { query: { max_results: 1000 } } });
    expect(check(`${G}/budgets/list`, 'get', listed)).toEqual([]);
    expect(listed.budget_policies?.map((p) => p.budget_policy_id)).toContain(id);
    const windows = await mlflow.get(`${G}/budgets/windows`);
    expect(check(`${G}/budgets/windows`, 'get', windows)).toEqual([]);
    const deleted = await mlflow.delete(`${G}/budgets/delete`, { body: { budget_policy_id: id } });
    expect(check(`${G}/budgets/delete`, 'delete', deleted)).toEqual([]);

    const endpointDeleted = await mlflow.delete(`${G}/endpoints/delete`, {
      body: { endpoint_id: endpointId },
    });
    expect(check(`${G}/endpoints/delete`, 'delete', endpointDeleted)).toEqual([]);
    for (const id of [primary, fallback]) {
      const deleted = await mlflow.delete(`${G}/model-definitions/delete`, {
        body: { model_definition_id: id },
      });
      expect(check(`${G}/model-definitions/delete`, 'delete', deleted)).toEqual([]);
    }
    const secretDeleted = await mlflow.delete(`${G}/secrets/delete`, { body: { secret_id: secretId } });
    expect(check(`${G}/secrets/delete`, 'delete', secretDeleted)).toEqual([]);
  });
});
