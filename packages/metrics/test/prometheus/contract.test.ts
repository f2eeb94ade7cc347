// The contract of openapi/prometheus.json (written by us, scripts/prometheus_openapi.mjs): calls every operation
// on the real servers — the platform's 2.42 and 3.x, and private ones of both with rules, a dropped target and
// native histograms — and validates every answer against the spec (ajv; the schemas are closed, so a field the
// server sends and the spec lacks fails). Every operation of the spec must be called for each major.
import { readFileSync } from 'node:fs';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  eventually,
  type PrivateServer,
  requireServer,
  type Server,
  shared3,
  sharedServers,
  startPrivate,
} from './support';

type Operation = {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
const spec = JSON.parse(
  readFileSync(new URL('../../../../openapi/prometheus.json', import.meta.url), 'utf8'),
) as {
  paths: Record<string, Record<string, Operation>>;
  components: unknown;
};
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'prometheus', components: spec.components });
const validators = new Map<string, ValidateFunction>();
const called = { 2: new Set<string>(), 3: new Set<string>() };

function validator(schema: unknown, key: string): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"prometheus#/components/')),
    );
    validators.set(key, validate);
  }
  return validate;
}

/** Calls `path` (GET with a query, or POST with a form) and returns the body after validating it against the spec. */
async function call(
  server: Server,
  method: 'get' | 'post',
  path: string,
  params: [string, string][] = [],
  specPath = path,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const op = spec.paths[specPath]?.[method];
  if (!op) throw new Error(`openapi/prometheus.json has no ${method.toUpperCase()} ${specPath}`);
  called[server.major].add(op.operationId);
  const form = new URLSearchParams(params).toString();
  const response =
    method === 'get'
      ? await fetch(`${server.url}${path}${form ? `?${form}` : ''}`)
      : await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
  const body = (await response.json()) as Record<string, unknown>;
  const declared = op.responses[String(response.status)];
  expect(
    declared,
    `${server.name}: ${path} answered ${response.status}, which the spec does not declare`,
  ).toBeDefined();
  const schema = declared?.content?.['application/json']?.schema;
  const validate = validator(schema, `${op.operationId} ${response.status}`);
  const errors = validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  expect(
    errors,
    `${server.name} ${method.toUpperCase()} ${path}: ${JSON.stringify(body).slice(0, 400)}`,
  ).toEqual([]);
  return { status: response.status, body };
}

const now = () => String(Date.now() / 1000);

describe.each(sharedServers)('the platform Prometheus $name', (server) => {
  beforeAll(() => requireServer(server));

  it('query: vector, scalar and string results, by GET and by POST form', async () => {
    const vector = await call(server, 'get', '/api/v1/query', [
      ['query', 'up'],
      ['time', now()],
    ]);
    expect(vector.body.data).toMatchObject({ resultType: 'vector' });
    const posted = await call(server, 'post', '/api/v1/query', [['query', 'up{job="prometheus"}']]);
    expect((posted.body.data as { result: unknown[] }).result).toHaveLength(1);
    const scalar = await call(server, 'get', '/api/v1/query', [['query', '1/0']]);
    expect((scalar.body.data as { result: unknown[] }).result[1]).toBe('+Inf');
    const nan = await call(server, 'get', '/api/v1/query', [['query', '0/0']]);
    expect((nan.body.data as { result: unknown[] }).result[1]).toBe('NaN');
    const text = await call(server, 'get', '/api/v1/query', [['query', '"hello"']]);
    expect(text.body.data).toMatchObject({ resultType: 'string', result: [expect.any(Number), 'hello'] });
    const stats = await call(server, 'get', '/api/v1/query', [
      ['query', 'up'],
      ['stats', 'all'],
    ]);
    expect(Object.keys((stats.body.data as { stats: object }).stats)).toContain('timings');
  });

  it('query_range: a matrix, by GET and by POST form', async () => {
    const end = Math.floor(Date.now() / 1000);
    const params: [string, string][] = [
      ['query', 'up'],
      ['start', String(end - 30)],
      ['end', String(end)],
      ['step', '5'],
    ];
    const got = await call(server, 'get', '/api/v1/query_range', params);
    expect(got.body.data).toMatchObject({ resultType: 'matrix' });
    const posted = await call(server, 'post', '/api/v1/query_range', params);
    expect(posted.body.data).toEqual(got.body.data);
  });

  it('series, labels and label values', async () => {
    const series = await call(server, 'get', '/api/v1/series', [
      ['match[]', 'up'],
      ['match[]', 'scrape_duration_seconds'],
    ]);
    expect((series.body.data as object[]).length).toBeGreaterThanOrEqual(2);
    await call(server, 'post', '/api/v1/series', [['match[]', 'up{job="prometheus"}']]);
    const labels = await call(server, 'get', '/api/v1/labels');
    expect(labels.body.data).toContain('job');
    await call(server, 'post', '/api/v1/labels', [['match[]', 'up']]);
    const values = await call(server, 'get', '/api/v1/label/job/values', [], '/api/v1/label/{name}/values');
    expect(values.body.data).toContain('prometheus');
  });

  it('metadata, targets, rules, alerts, build info and flags', async () => {
    const metadata = await call(server, 'get', '/api/v1/metadata', [['metric', 'up']]);
    expect(metadata.body.data).toEqual({});
    const some = await call(server, 'get', '/api/v1/metadata', [['limit', '5']]);
    expect(Object.keys(some.body.data as object)).toHaveLength(5);
    const targets = await call(server, 'get', '/api/v1/targets');
    expect((targets.body.data as { activeTargets: unknown[] }).activeTargets.length).toBeGreaterThanOrEqual(
      2,
    );
    await call(server, 'get', '/api/v1/rules');
    await call(server, 'get', '/api/v1/alerts');
    const build = await call(server, 'get', '/api/v1/status/buildinfo');
    expect((build.body.data as { version: string }).version.startsWith(String(server.major))).toBe(true);
    const flags = await call(server, 'get', '/api/v1/status/flags');
    expect((flags.body.data as Record<string, string>)['web.listen-address']).toBe(new URL(server.url).host);
  });

  it('errors: bad_data (400) and execution (422) bodies as the spec says', async () => {
    const bad = await call(server, 'get', '/api/v1/query', [['query', 'sum(']]);
    expect(bad).toMatchObject({ status: 400, body: { status: 'error', errorType: 'bad_data' } });
    const badTime = await call(server, 'post', '/api/v1/query_range', [
      ['query', 'up'],
      ['start', 'x'],
      ['end', '1'],
      ['step', '1'],
    ]);
    expect(badTime).toMatchObject({ status: 400, body: { errorType: 'bad_data' } });
    const execution = await call(server, 'get', '/api/v1/query', [
      ['query', '{__name__=~"up|scrape_samples_scraped"} + 0'],
    ]);
    expect(execution).toMatchObject({ status: 422, body: { status: 'error', errorType: 'execution' } });
  });
});

describe.each([2, 3] as const)(
  'a private Prometheus %i.x with rules, a dropped target (and native histograms in 3.x)',
  (major) => {
    let server: PrivateServer;
    beforeAll(async () => {
      server = await startPrivate(major);
    }, 40_000);
    afterAll(() => server?.stop());

    it('rules and alerts: recording, firing and pending, with their alerts', {
      timeout: 30_000,
    }, async () => {
      const rules = await eventually('the rules to be evaluated', async () => {
        const { body } = await call(server, 'get', '/api/v1/rules');
        const groups = (body.data as { groups: { rules: { health: string; state?: string }[] }[] }).groups;
        const evaluated = groups[0]?.rules.every((r) => r.health === 'ok');
        return evaluated ? groups : undefined;
      });
      expect(rules[0]?.rules.map((r) => r.state ?? 'recording')).toEqual(['recording', 'firing', 'pending']);
      const alerts = await call(server, 'get', '/api/v1/alerts');
      expect((alerts.body.data as { alerts: { state: string }[] }).alerts.map((a) => a.state).sort()).toEqual(
        ['firing', 'pending'],
      );
      if (major === 3) {
        const excluded = await call(server, 'get', '/api/v1/rules', [['exclude_alerts', 'true']]);
        const alerting = (excluded.body.data as { groups: { rules: { alerts?: unknown }[] }[] }).groups[0]
          ?.rules[1];
        expect(alerting?.alerts).toBeNull();
      }
      const filtered = await call(server, 'get', '/api/v1/rules', [['type', 'record']]);
      expect((filtered.body.data as { groups: { rules: unknown[] }[] }).groups[0]?.rules).toHaveLength(1);
    });

    it('targets: active and dropped', { timeout: 30_000 }, async () => {
      const { body } = await eventually('the dropped target', async () => {
        const answer = await call(server, 'get', '/api/v1/targets', [['state', 'any']]);
        return (answer.body.data as { droppedTargets: unknown[] }).droppedTargets.length === 1
          ? answer
          : undefined;
      });
      expect((body.data as { activeTargets: unknown[] }).activeTargets).toHaveLength(1);
    });

    // 2.42 has native histograms only as an experiment, and none among its own metrics: 3.x only.
    if (major === 3)
      it('native histograms in a vector and in a matrix', { timeout: 30_000 }, async () => {
        const metric = 'prometheus_http_request_duration_seconds';
        const vector = await eventually('a native histogram sample', async () => {
          const answer = await call(server, 'post', '/api/v1/query', [['query', `sum(${metric})`]]);
          const result = (answer.body.data as { result: { histogram?: unknown }[] }).result;
          return result[0]?.histogram ? result : undefined;
        });
        expect(vector[0]).toMatchObject({ histogram: [expect.any(Number), { count: expect.any(String) }] });
        const end = Date.now() / 1000;
        const matrix = await call(server, 'get', '/api/v1/query_range', [
          ['query', `sum(${metric})`],
          ['start', String(end - 2)],
          ['end', String(end)],
          ['step', '1'],
        ]);
        const series = (matrix.body.data as { result: { histograms?: unknown[] }[] }).result;
        expect(series[0]?.histograms?.length).toBeGreaterThanOrEqual(1);
      });
  },
);

describe('the official spec Prometheus 3.x serves (GET /api/v1/openapi.yaml)', () => {
  beforeAll(() => requireServer(shared3));

  it('has every path, method and parameter of ours; it has more query parameters (cost limits) that we do not send', async () => {
    const response = await fetch(`${shared3.url}/api/v1/openapi.yaml`);
    expect(response.status).toBe(200);
    type Op = {
      parameters?: { name: string }[];
      requestBody?: { content: Record<string, { schema: unknown }> };
    };
    const official = parseYaml(await response.text()) as {
      openapi: string;
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(official.openapi).toBe('3.1.0');
    const names = (op: Op | undefined, method: string): string[] => {
      if (method === 'get') return (op?.parameters ?? []).map((p) => p.name).filter((n) => n !== 'name');
      let schema = op?.requestBody?.content['application/x-www-form-urlencoded']?.schema as
        | { $ref?: string; properties?: Record<string, unknown> }
        | undefined;
      if (schema?.$ref) schema = official.components.schemas[schema.$ref.split('/').pop()!];
      return Object.keys(schema?.properties ?? {});
    };
    const onlyOfficial = new Set<string>();
    for (const [path, item] of Object.entries(spec.paths)) {
      const theirs = official.paths[path.replace('/api/v1', '')];
      for (const [method, op] of Object.entries(item)) {
        const ours = names(op as Op, method);
        const official_ = names(theirs?.[method], method);
        expect(theirs?.[method], `${method.toUpperCase()} ${path} in the official spec`).toBeDefined();
        expect(
          ours.filter((n) => !official_.includes(n)),
          `${method} ${path}`,
        ).toEqual([]);
        for (const n of official_) if (!ours.includes(n)) onlyOfficial.add(n);
      }
    }
    expect([...onlyOfficial].sort()).toEqual([
      'cost',
      'max_query_duration',
      'max_samples_read',
      'max_series',
    ]);
  });
});

describe('coverage', () => {
  it('every operation of the spec was called on 2.x and on 3.x', () => {
    const all = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect([...called[2]].sort()).toEqual([...all].sort());
    expect([...called[3]].sort()).toEqual([...all].sort());
  });
});
