// The contract of openapi/mlflow.json: calls its operations on the real, pinned MLflow server of the
// platform and validates every answer against the spec's response schema (ajv). The spec's message
// schemas are closed (additionalProperties: false), so a field the server sends and the spec lacks fails.
// The suites live in ./contract/ and are imported here, so that they run in one process and the last test
// sees every operation they called.
import { describe, expect, it } from 'vitest';
import { refusals } from './contract/not-served';
import { called, complaints, refused, spec } from './contract/support';
import './contract/tracking';
import './contract/registry';
import './contract/traces';
import './contract/genai';
import './contract/gateway';

describe('coverage', () => {
  it('validates strictly: a field the spec lacks, a wrong type or a wrong enum value is a complaint', () => {
    const get = '/api/3.0/mlflow/traces/get';
    const span = { name: 'predict', start_time_unix_nano: 1, status: { code: 'STATUS_CODE_OK' } };
    expect(complaints(get, 'get', { trace: { spans: [span] } })).toEqual([]);
    expect(complaints(get, 'get', { trace: { spans: [{ ...span, colour: 'red' }] } })).toEqual([
      '/trace/spans/0 must NOT have additional properties',
    ]);
    expect(complaints(get, 'get', { trace: { spans: [{ ...span, start_time_unix_nano: '1' }] } })).toEqual([
      '/trace/spans/0/start_time_unix_nano must be integer',
    ]);
    expect(complaints(get, 'get', { trace: { spans: [{ ...span, status: { code: 'FINE' } }] } })).toEqual([
      '/trace/spans/0/status/code must be equal to one of the allowed values',
    ]);
  });

  it('calls every operation of the spec, or asserts the recorded answer of a server that cannot serve it', () => {
    const all = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const missing = all.filter((id) => !called.has(id) && !refused.has(id));
    expect(missing, 'operations neither called nor refused as recorded in contract/not-served.ts').toEqual(
      [],
    );
    // The table stays honest: every recorded refusal was asserted, and nothing refused is also called.
    expect(Object.keys(refusals).filter((id) => !refused.has(id))).toEqual([]);
    expect([...refused].filter((id) => called.has(id))).toEqual([]);
    expect(Object.keys(refusals).filter((id) => !all.includes(id))).toEqual([]);
    expect({ operations: all.length, called: called.size, refused: refused.size }).toEqual({
      operations: 194,
      called: 194 - Object.keys(refusals).length,
      refused: Object.keys(refusals).length,
    });
  });
});
