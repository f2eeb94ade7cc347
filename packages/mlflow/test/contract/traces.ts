// Traces (V3 and the legacy V2 routes), their tags, assessments, metrics, links to runs and prompts.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baseUrl, check, mlflow, newExperiment, newRun, unique } from './support';

const location = (experimentId: string) => ({
  type: 'MLFLOW_EXPERIMENT' as const,
  mlflow_experiment: { experiment_id: experimentId },
});

/**
 * A trace with one span, sent as MLflow's Python client sends spans: OTLP/HTTP JSON to the server's native
 * /v1/traces route (not a proto RPC, so not in the spec; StartTraceV3 stores the trace info only, and
 * getTrace answers 500 "Trace data not stored in tracking store" for a trace without spans).
 */
async function traceWithSpans(
  experimentId: string,
  start = BigInt(Date.now()) * 1_000_000n,
): Promise<string> {
  const hex = randomBytes(16).toString('hex');
  const response = await fetch(`${baseUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mlflow-experiment-id': experimentId },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'contract' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: hex,
                  spanId: randomBytes(8).toString('hex'),
                  name: 'predict',
                  kind: 1,
                  startTimeUnixNano: String(start),
                  endTimeUnixNano: String(start + 2_000_000n),
                  attributes: [
                    { key: 'mlflow.spanInputs', value: { stringValue: '{"question":"2+2?"}' } },
                    { key: 'mlflow.spanOutputs', value: { stringValue: '"4"' } },
                  ],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return `tr-${hex}`;
}

describe('traces (V3)', () => {
  it('start, get info, get with spans, batch get, search, tags, metrics, filter correlation, link to run, delete', async () => {
    const experimentId = await newExperiment();
    const runId = await newRun(experimentId);
    const traceId = `tr-${randomBytes(16).toString('hex')}`;
    const started = await mlflow.post('/api/3.0/mlflow/traces', {
      body: {
        trace: {
          trace_info: {
            trace_id: traceId,
            client_request_id: unique('request'),
            trace_location: location(experimentId),
            request_preview: '{"question":"2+2?"}',
            response_preview: '"4"',
            request_time: new Date().toISOString(),
            execution_duration: '1.5s',
            state: 'OK',
            trace_metadata: { 'mlflow.trace_schema.version': '3' },
            tags: { team: 'mlops' },
          },
        },
      },
    });
    expect(check('/api/3.0/mlflow/traces', 'post', started)).toEqual([]);
    // Durations come back with milliseconds ("1.500s"); the server adds its own metadata and tags.
    expect(started.trace?.trace_info).toMatchObject({ trace_id: traceId, execution_duration: '1.500s' });

    const info = await mlflow.get('/api/3.0/mlflow/traces/{trace_id}', {
      params: { path: { trace_id: traceId } },
    });
    expect(check('/api/3.0/mlflow/traces/{trace_id}', 'get', info)).toEqual([]);
    expect(info.trace?.trace_info?.tags?.team).toBe('mlops');

    // An odd number of nanoseconds: no double in this range (multiples of 256) holds it exactly.
    const start = BigInt(Date.now()) * 1_000_000n + 123_457n;
    const spanned = await traceWithSpans(experimentId, start);
    const full = await mlflow.get('/api/3.0/mlflow/traces/get', { params: { query: { trace_id: spanned } } });
    expect(check('/api/3.0/mlflow/traces/get', 'get', full)).toEqual([]);
    const span = full.trace?.spans?.[0];
    expect(span?.name).toBe('predict');
    // Span ids are bytes: base64 in MLflow's JSON.
    expect(Buffer.from(span?.trace_id ?? '', 'base64').toString('hex')).toBe(spanned.slice(3));
    // Nanosecond times are JSON numbers beyond 2^53, as the spec says: JSON.parse rounds them to the nearest
    // multiple of 256 ns, so what arrives is close to what was sent but never equal.
    const received = BigInt(span?.start_time_unix_nano ?? 0);
    expect(received).not.toBe(start);
    expect(received - start <= 128n && start - received <= 128n).toBe(true);

    const batch = await mlflow.get('/api/3.0/mlflow/traces/batchGet', {
      params: { query: { trace_ids: [spanned], experiment_ids: [experimentId] } },
    });
    expect(check('/api/3.0/mlflow/traces/batchGet', 'get', batch)).toEqual([]);
    expect(batch.traces?.map((t) => t.trace_info?.trace_id)).toEqual([spanned]);
    const infos = await mlflow.post('/api/3.0/mlflow/traces/batchGetInfos', {
      body: { trace_ids: [traceId, spanned], experiment_ids: [experimentId] },
    });
    expect(check('/api/3.0/mlflow/traces/batchGetInfos', 'post', infos)).toEqual([]);
    expect(infos.trace_infos?.map((t) => t.trace_id).toSorted()).toEqual([traceId, spanned].toSorted());

    const path = { trace_id: traceId };
    const tagged = await mlflow.patch('/api/3.0/mlflow/traces/{trace_id}/tags', {
      params: { path },
      body: { key: 'reviewed', value: 'yes' },
    });
    expect(check('/api/3.0/mlflow/traces/{trace_id}/tags', 'patch', tagged)).toEqual([]);
    const searched = await mlflow.post('/api/3.0/mlflow/traces/search', {
      body: {
        locations: [location(experimentId)],
        filter: "tag.reviewed = 'yes'",
        max_results: 10,
        order_by: ['timestamp_ms DESC'],
      },
    });
    expect(check('/api/3.0/mlflow/traces/search', 'post', searched)).toEqual([]);
    expect(searched.traces?.map((t) => t.trace_id)).toEqual([traceId]);
    const untagged = await mlflow.delete('/api/3.0/mlflow/traces/{trace_id}/tags', {
      params: { path },
      body: { key: 'reviewed' },
    });
    expect(check('/api/3.0/mlflow/traces/{trace_id}/tags', 'delete', untagged)).toEqual([]);

    const metrics = await mlflow.post('/api/3.0/mlflow/traces/metrics', {
      body: {
        experiment_ids: [experimentId],
        view_type: 'TRACES',
        metric_name: 'trace_count',
        aggregations: [{ aggregation_type: 'COUNT' }],
      },
    });
    expect(check('/api/3.0/mlflow/traces/metrics', 'post', metrics)).toEqual([]);
    expect(metrics.data_points?.[0]?.values).toEqual({ COUNT: 2 });
    const correlation = await mlflow.post('/api/3.0/mlflow/traces/calculate-filter-correlation', {
      body: {
        experiment_ids: [experimentId],
        filter_string1: "trace.status = 'OK'",
        filter_string2: "tag.team = 'mlops'",
      },
    });
    expect(check('/api/3.0/mlflow/traces/calculate-filter-correlation', 'post', correlation)).toEqual([]);
    expect(correlation).toMatchObject({ filter1_count: 2, filter2_count: 1, joint_count: 1, total_count: 2 });

    const linked = await mlflow.post('/api/2.0/mlflow/traces/link-to-run', {
      body: { run_id: runId, trace_ids: [traceId] },
    });
    expect(check('/api/2.0/mlflow/traces/link-to-run', 'post', linked)).toEqual([]);

    const deleted = await mlflow.post('/api/3.0/mlflow/traces/delete-traces', {
      body: { experiment_id: experimentId, request_ids: [traceId, spanned] },
    });
    expect(check('/api/3.0/mlflow/traces/delete-traces', 'post', deleted)).toEqual([]);
    expect(deleted.traces_deleted).toBe(2);
  });

  it('assessments: feedback and expectation created, read, updated through a field mask, deleted', async () => {
    const experimentId = await newExperiment();
    const traceId = await traceWithSpans(experimentId);
    const path = '/api/3.0/mlflow/traces/{trace_id}/assessments';
    const feedback = await mlflow.post(path, {
      params: { path: { trace_id: traceId } },
      body: {
        assessment: {
          assessment_name: 'correctness',
          trace_id: traceId,
          source: { source_type: 'HUMAN', source_id: 'contract@example.com' },
          feedback: { value: 0.9 },
          rationale: 'right answer',
          metadata: { reviewer: 'contract' },
        },
      },
    });
    expect(check(path, 'post', feedback)).toEqual([]);
    expect(feedback.assessment).toMatchObject({ feedback: { value: 0.9 }, valid: true });
    const expectation = await mlflow.post(path, {
      params: { path: { trace_id: traceId } },
      body: {
        assessment: {
          assessment_name: 'expected',
          trace_id: traceId,
          source: { source_type: 'CODE', source_id: 'contract' },
          expectation: { value: { answer: '4', alternatives: ['four'] } },
        },
      },
    });
    expect(check(path, 'post', expectation)).toEqual([]);
    // A structured expectation is stored as JSON text.
    const serialized = expectation.assessment?.expectation?.serialized_value;
    expect(serialized?.serialization_format).toBe('JSON_FORMAT');
    expect(JSON.parse(serialized?.value ?? 'null')).toEqual({ answer: '4', alternatives: ['four'] });

    const one = `${path}/{assessment_id}` as const;
    const ids = { trace_id: traceId, assessment_id: feedback.assessment!.assessment_id! };
    const got = await mlflow.get(one, { params: { path: ids } });
    expect(check(one, 'get', got)).toEqual([]);
    const updated = await mlflow.patch(one, {
      params: { path: ids },
      body: {
        // Only the masked fields change. The spec requires assessment_name in every Assessment (the proto's
        // validate_required), though the server enforces it nowhere; it is sent unchanged.
        assessment: {
          ...ids,
          assessment_name: 'correctness',
          rationale: 'double-checked',
          feedback: { value: 1 },
        },
        update_mask: 'rationale,feedback',
      },
    });
    expect(check(one, 'patch', updated)).toEqual([]);
    expect(updated.assessment).toMatchObject({ rationale: 'double-checked', feedback: { value: 1 } });
    const deleted = await mlflow.delete(one, { params: { path: ids } });
    expect(check(one, 'delete', deleted)).toEqual([]);
  });

  it('a trace links to the prompt versions it used', async () => {
    const experimentId = await newExperiment();
    const traceId = await traceWithSpans(experimentId);
    // A prompt is a registered model tagged as one; its versions carry the template.
    const name = unique('prompt');
    await mlflow.post('/api/2.0/mlflow/registered-models/create', {
      body: { name, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] },
    });
    await mlflow.post('/api/2.0/mlflow/model-versions/create', {
      body: {
        name,
        source: 'dummy-source',
        tags: [
          { key: 'mlflow.prompt.is_prompt', value: 'true' },
          { key: 'mlflow.prompt.text', value: 'What is {{question}}?' },
        ],
      },
    });
    const linked = await mlflow.post('/api/2.0/mlflow/traces/link-prompts', {
      body: { trace_id: traceId, prompt_versions: [{ name, version: '1' }] },
    });
    expect(check('/api/2.0/mlflow/traces/link-prompts', 'post', linked)).toEqual([]);
    // The link is an entity association, found by the search filter prompt = "name/version".
    const found = await mlflow.post('/api/3.0/mlflow/traces/search', {
      body: { locations: [location(experimentId)], filter: `prompt = "${name}/1"`, max_results: 10 },
    });
    expect(found.traces?.map((t) => t.trace_id)).toEqual([traceId]);
  });
});

describe('traces (legacy V2 routes)', () => {
  it('start, end, get info, tags, search, delete', async () => {
    const experimentId = await newExperiment();
    const t = Date.now();
    const started = await mlflow.post('/api/2.0/mlflow/traces', {
      body: {
        experiment_id: experimentId,
        timestamp_ms: t,
        request_metadata: [{ key: 'client', value: 'contract' }],
        tags: [{ key: 'team', value: 'mlops' }],
      },
    });
    expect(check('/api/2.0/mlflow/traces', 'post', started)).toEqual([]);
    expect(started.trace_info?.status).toBe('IN_PROGRESS');
    const path = { request_id: started.trace_info!.request_id! };
    const ended = await mlflow.patch('/api/2.0/mlflow/traces/{request_id}', {
      params: { path },
      body: { timestamp_ms: t + 250, status: 'OK', tags: [{ key: 'done', value: 'yes' }] },
    });
    expect(check('/api/2.0/mlflow/traces/{request_id}', 'patch', ended)).toEqual([]);
    expect(ended.trace_info).toMatchObject({ status: 'OK', execution_time_ms: 250 });
    const info = await mlflow.get('/api/2.0/mlflow/traces/{request_id}/info', { params: { path } });
    expect(check('/api/2.0/mlflow/traces/{request_id}/info', 'get', info)).toEqual([]);
    const tagged = await mlflow.patch('/api/2.0/mlflow/traces/{request_id}/tags', {
      params: { path },
      body: { key: 'k', value: 'v' },
    });
    expect(check('/api/2.0/mlflow/traces/{request_id}/tags', 'patch', tagged)).toEqual([]);
    const untagged = await mlflow.delete('/api/2.0/mlflow/traces/{request_id}/tags', {
      params: { path },
      body: { key: 'k' },
    });
    expect(check('/api/2.0/mlflow/traces/{request_id}/tags', 'delete', untagged)).toEqual([]);
    const searched = await mlflow.get('/api/2.0/mlflow/traces', {
      params: { query: { experiment_ids: [experimentId], filter: "tag.done = 'yes'", max_results: 10 } },
    });
    expect(check('/api/2.0/mlflow/traces', 'get', searched)).toEqual([]);
    expect(searched.traces?.map((t) => t.request_id)).toEqual([path.request_id]);
    const deleted = await mlflow.post('/api/2.0/mlflow/traces/delete-traces', {
      body: { experiment_id: experimentId, max_timestamp_millis: t + 60_000, max_traces: 10 },
    });
    expect(check('/api/2.0/mlflow/traces/delete-traces', 'post', deleted)).toEqual([]);
    expect(deleted.traces_deleted).toBe(1);
  });
});
