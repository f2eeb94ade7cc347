// Shared by the contract suites (imported by test/spec.contract.test.ts, which runs them in one process so
// that its last test sees every operation the suites called).
import { readFileSync } from 'node:fs';
import { createHttpClient } from '@mlops/core';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import { beforeEach, expect, vi } from 'vitest';
import { readPins } from '../../../../scripts/pins.mjs';
import type { paths } from '../../src/generated/mlflow';

export type Operation = {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  'x-mlflow-not-implemented'?: boolean;
};
export const spec = JSON.parse(
  readFileSync(new URL('../../../../openapi/mlflow.json', import.meta.url), 'utf8'),
) as {
  paths: Record<string, Record<string, Operation>>;
  components: unknown;
};
export const pins = readPins();
export const baseUrl = `http://127.0.0.1:${pins.MLFLOW_PORT}`;
export const mlflow = createHttpClient<paths>({ service: 'mlflow', baseUrl, retry: false });

export const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'mlflow', components: spec.components });
const validators = new Map<string, ValidateFunction>();
/** Operations called with a valid request, their answer checked against the spec. */
export const called = new Set<string>();
/** Operations the platform's server cannot serve, called and their (asserted) refusal recorded. */
export const refused = new Set<string>();

export function operation(path: string, method: string): Operation {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`openapi/mlflow.json has no ${method.toUpperCase()} ${path}`);
  return op;
}

/** The spec's complaints about a JSON answer of an operation (none when valid), without recording a call. */
export function complaints(path: string, method: string, body: unknown): string[] {
  const op = operation(path, method);
  const schema = op.responses['200']?.content?.['application/json']?.schema;
  if (schema === undefined) return [];
  let validate = validators.get(op.operationId);
  if (!validate) {
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"mlflow#/components/');
    validate = ajv.compile(JSON.parse(text));
    validators.set(op.operationId, validate);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Records the operation as called; for a JSON answer, the spec's complaints about it (none when valid). */
export function check(path: string, method: string, body?: unknown): string[] {
  called.add(operation(path, method).operationId);
  return complaints(path, method, body);
}

/** The media type of a non-JSON answer is one the spec declares for it (or the spec says any). */
export function mediaOf(path: string, method: string, response: Response): boolean {
  const declared = Object.keys(operation(path, method).responses['200']?.content ?? {});
  const media = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  return declared.includes(media) || declared.includes('*/*');
}

/** The server's refusal of an operation it cannot serve, as recorded in not-served.ts. */
export interface Refusal {
  /** Why the platform's server cannot serve it. */
  readonly why: string;
  readonly status: number;
  /** The media type of the answer. */
  readonly type: string;
  /** The whole answer: the parsed JSON error, or the text. */
  readonly body: unknown;
}

/**
 * Sends a valid request for an operation the server cannot serve and asserts that its answer is exactly the
 * recorded one (so the reason cannot go stale); a JSON error must also be the spec's ErrorResponse.
 */
export async function expectRefusal(
  refusals: Readonly<Record<string, Refusal>>,
  path: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<void> {
  const op = operation(path, method);
  const recorded = refusals[op.operationId];
  if (!recorded) throw new Error(`${op.operationId} is not in the table of operations the server refuses`);
  const response = await fetch(`${baseUrl}${url}`, {
    method: method.toUpperCase(),
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const text = await response.text();
  const answer = type === 'application/json' ? (JSON.parse(text) as unknown) : text;
  expect({ status: response.status, type, body: answer }, op.operationId).toEqual({
    status: recorded.status,
    type: recorded.type,
    body: recorded.body,
  });
  // The spec describes the refusal: its status with that media type, or the default JSON error.
  const declared = op.responses[String(recorded.status)] ?? op.responses.default;
  expect(Object.keys(declared?.content ?? {}), `${op.operationId}: media types the spec declares`).toContain(
    type,
  );
  if (type === 'application/json') {
    const errorSchema = ajv.getSchema('mlflow#/components/schemas/ErrorResponse')!;
    expect(errorSchema(answer), JSON.stringify(errorSchema.errors)).toBe(true);
  }
  refused.add(op.operationId);
}

export const unique = (what: string) =>
  `contract-${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

// Each test makes tens of sequential calls to the platform's one-worker server, which every helper shares on
// a 2-core machine: under load a test takes several times its idle 1-2 s.
vi.setConfig({ testTimeout: 60_000 });

// Checked before every test (once, memoized), so each one fails, not skips, without a server.
let reachable: Promise<void> | undefined;
beforeEach(async () => {
  reachable ??= fetch(`${baseUrl}/health`).then(
    () => undefined,
    (error: unknown) => {
      throw new Error(
        `MLflow is not running at ${baseUrl}: start it with \`pnpm platform up mlflow\` (${String(error)})`,
      );
    },
  );
  await reachable;
});

export async function newExperiment(): Promise<string> {
  const created = await mlflow.post('/api/2.0/mlflow/experiments/create', { body: { name: unique('exp') } });
  return created.experiment_id!;
}

export async function newRun(experimentId: string): Promise<string> {
  const created = await mlflow.post('/api/2.0/mlflow/runs/create', {
    body: { experiment_id: experimentId, start_time: Date.now(), run_name: unique('run') },
  });
  expect(check('/api/2.0/mlflow/runs/create', 'post', created)).toEqual([]);
  return created.run!.info!.run_id!;
}
