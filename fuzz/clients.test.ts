// The other decoders and parsers under hostile input: MLflow's JSON answers and MLmodel YAML, Prometheus's JSON
// answers, Airflow's log chunks, and the Pushgateway's grouping keys (which must decode back to what was asked).
import { AirflowClient } from '@mlops/airflow';
import { MetricsInputError, PrometheusClient } from '@mlops/metrics';
import { MlflowClient, parseMLmodel } from '@mlops/mlflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupingPath } from '../packages/metrics/src/pushgateway/grouping';
import { answeringFetch, anyJson, fuzz, fuzzAsync, hostileText } from './support';

/** A JSON body: a valid one with its text edited, any JSON at all, or a valid one with a part replaced. */
function hostileJson(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const replaced = fc.tuple(valid, fc.nat(), anyJson).map(([value, at, other]) => {
    // Replace the at-th node (depth-first) of the valid value with another JSON value.
    let n = 0;
    const walk = (v: unknown): unknown => {
      if (n++ === at) return other;
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null)
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return JSON.stringify(walk(value));
  });
  return fc.oneof(
    { weight: 2, arbitrary: hostileText(valid.map((v) => JSON.stringify(v))) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 4, arbitrary: replaced },
  );
}

// ------------------------------------------------------------------------------------------------ MLflow

const mlflowRun = fc.record({
  run: fc.record({
    info: fc.record({
      run_id: fc.string({ maxLength: 8 }),
      experiment_id: fc.constant('1'),
      status: fc.constantFrom('RUNNING', 'FINISHED', 'FAILED'),
      start_time: fc.nat(),
      end_time: fc.nat(),
      artifact_uri: fc.constant('mlflow-artifacts:/1/abc/artifacts'),
      lifecycle_stage: fc.constant('active'),
    }),
    data: fc.record({
      metrics: fc.array(
        fc.record({
          key: fc.string({ maxLength: 5 }),
          value: fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.constantFrom('NaN', 'Infinity', '-Infinity'),
          ),
          timestamp: fc.nat(),
          step: fc.nat(),
        }),
        { maxLength: 3 },
      ),
      params: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: fc.string({ maxLength: 5 }) }), {
        maxLength: 3,
      }),
      tags: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: fc.string({ maxLength: 5 }) }), {
        maxLength: 2,
      }),
    }),
    inputs: fc.record({ dataset_inputs: fc.constant([]) }),
  }),
});
const mlflowHistory = fc.record({
  metrics: fc.array(
    fc.record({
      key: fc.constant('loss'),
      value: fc.double({ noNaN: true }),
      timestamp: fc.nat(),
      step: fc.nat(),
    }),
    { maxLength: 4 },
  ),
});
const mlflowModelVersion = fc.record({
  model_version: fc.record({
    name: fc.constant('churn'),
    version: fc.constantFrom('1', '2'),
    creation_timestamp: fc.nat(),
    last_updated_timestamp: fc.nat(),
    current_stage: fc.constant('None'),
    source: fc.constantFrom('models:/m-abc', 'mlflow-artifacts:/1/abc/artifacts/model'),
    run_id: fc.string({ maxLength: 6 }),
    status: fc.constant('READY'),
    aliases: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
    tags: fc.constant([]),
  }),
});

const validMLmodel = fc
  .record({
    runId: fc.stringMatching(/^[0-9a-f]{4,8}$/),
    column: fc.string({ maxLength: 6 }),
    type: fc.constantFrom('double', 'long', 'string', 'boolean', 'integer', 'float', 'binary', 'datetime'),
  })
  .map(
    ({ runId, column, type }) => `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
    loader_module: mlflow.sklearn
    python_version: 3.11.7
  sklearn:
    code: null
    pickled_model: model.pkl
    sklearn_version: 1.5.0
mlflow_version: 3.18.0
model_size_bytes: 1234
model_uuid: 0123456789abcdef
run_id: ${runId}
signature:
  inputs: '[{"type": "${type}", "name": ${JSON.stringify(column)}, "required": true}, {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
  outputs: '[{"type": "long", "required": true}]'
  params: '[{"name": "k", "type": "long", "default": 3, "shape": null}]'
utc_time_created: '2026-01-01 00:00:00.000000'
`,
  );

// ------------------------------------------------------------------------------------------------ Prometheus

const sampleValue = fc.oneof(
  fc.double().map(String),
  fc.constantFrom('NaN', '+Inf', '-Inf', '1e308', '0x1p3'),
);
const labels = fc.dictionary(
  fc.constantFrom('__name__', 'job', 'instance', 'le'),
  fc.string({ maxLength: 5 }),
  { maxKeys: 3 },
);
const point = fc.tuple(fc.double({ min: 0, max: 2e9, noNaN: true }), sampleValue);
const promVector = fc.record({
  status: fc.constant('success'),
  data: fc.record({
    resultType: fc.constant('vector'),
    result: fc.array(fc.record({ metric: labels, value: point }), { maxLength: 3 }),
  }),
});
const promMatrix = fc.record({
  status: fc.constant('success'),
  data: fc.record({
    resultType: fc.constant('matrix'),
    result: fc.array(fc.record({ metric: labels, values: fc.array(point, { maxLength: 4 }) }), {
      maxLength: 3,
    }),
  }),
});
const promScalar = fc.record({
  status: fc.constant('success'),
  data: fc.record({ resultType: fc.constantFrom('scalar', 'string'), result: point }),
  warnings: fc.array(fc.string({ maxLength: 6 }), { maxLength: 1 }),
});

// ------------------------------------------------------------------------------------------------ Airflow

const logLine = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.record(
    {
      event: fc.string({ maxLength: 12 }),
      timestamp: fc.constant('2026-01-01T00:00:00.000000Z'),
      level: fc.constantFrom('info', 'error', 'warning'),
      logger: fc.constant('airflow.task'),
      error_detail: fc.array(
        fc.record({ exc_type: fc.string({ maxLength: 5 }), exc_value: fc.string({ maxLength: 5 }) }),
        {
          maxLength: 1,
        },
      ),
    },
    { requiredKeys: ['event'] },
  ),
);
const logPage = fc.record({
  content: fc.array(logLine, { maxLength: 4 }),
  continuation_token: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null }),
});

// ------------------------------------------------------------------------------------------------ Pushgateway

/** What the Pushgateway makes of a grouping path (1.5.1's handler/push.go splitLabels, with @base64). */
function decodeGroupingPath(path: string): { job: string; labels: Record<string, string> } {
  const segments = path.replace(/^\/metrics\//, '').split('/');
  const decode = (name: string, value: string): [string, string] => {
    if (!name.endsWith('@base64')) return [name, decodeURIComponent(value)];
    const b64 = value.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
    return [name.slice(0, -'@base64'.length), Buffer.from(b64, 'base64').toString('utf8')];
  };
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < segments.length; i += 2) pairs.push(decode(segments[i]!, segments[i + 1] ?? ''));
  const [[jobName, job], ...rest] = pairs as [[string, string], ...Array<[string, string]>];
  expect(jobName).toBe('job');
  return { job, labels: Object.fromEntries(rest) };
}

const labelName = fc.oneof(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/), fc.string({ maxLength: 6 }));
const labelValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom(
    '',
    '.',
    '..',
    '/',
    'a/b',
    '%2F',
    '?x=1',
    '#frag',
    'a\r\nX-Injected: 1',
    '\uD800',
    '\uDFFF\uD800',
    '日本',
  ),
);

describe('MLflow, Prometheus, Airflow and Pushgateway decoders under hostile input', () => {
  it('MLmodel YAML: parsed, or a DecodeError', () => {
    fuzz('mlflow MLmodel YAML', hostileText(validMLmodel), (text) => {
      const model = parseMLmodel(text);
      expect(typeof model.flavors).toBe('object');
    });
  });

  it('MLflow JSON: getRun, getMetricHistory and getModelVersion over hostile answers', async () => {
    let body = '';
    const client = new MlflowClient({
      trackingUri: 'http://mlflow.fuzz',
      fetch: answeringFetch(() => ({ body })),
      maxRetries: 0,
    });
    await fuzzAsync(
      'mlflow JSON',
      fc.tuple(fc.constantFrom('run', 'history', 'version'), fc.nat()).chain(([kind]) =>
        fc.record({
          kind: fc.constant(kind),
          text: hostileJson(
            kind === 'run' ? mlflowRun : kind === 'history' ? mlflowHistory : mlflowModelVersion,
          ),
        }),
      ),
      async ({ kind, text }) => {
        body = text;
        if (kind === 'run') await client.getRun('r1');
        else if (kind === 'history') await client.getMetricHistory('r1', 'loss').toArray();
        else await client.getModelVersion('churn', 1);
      },
    );
  });

  it('Prometheus JSON: query and queryRange over hostile answers', async () => {
    let body = '';
    const client = new PrometheusClient({
      url: 'http://prometheus.fuzz',
      fetch: answeringFetch(() => ({ body })),
      maxRetries: 0,
    });
    await fuzzAsync(
      'prometheus JSON',
      fc.oneof(
        hostileJson(promVector).map((text) => ({ range: false, text })),
        hostileJson(promScalar).map((text) => ({ range: false, text })),
        hostileJson(promMatrix).map((text) => ({ range: true, text })),
      ),
      async ({ range, text }) => {
        body = text;
        if (range) {
          const result = await client.queryRange('up', { start: 0, end: 60_000, step: 15_000 });
          await result.toArrow();
        } else await client.query('up');
      },
    );
  });

  it('Airflow log chunks: taskLogs over hostile pages, always ending', async () => {
    let pages: string[] = [];
    const client = new AirflowClient({
      baseUrl: 'http://airflow.fuzz',
      token: 'fuzz-token',
      maxRetries: 0,
      fetch: answeringFetch((url) => {
        if (new URL(url).pathname.includes('/logs/')) {
          // After the fuzzed pages, an empty last page: a client that follows tokens must stop there.
          return { body: pages.shift() ?? '{"content":[],"continuation_token":null}' };
        }
        return { body: '{"try_number":1,"state":"success"}' };
      }),
    });
    await fuzzAsync(
      'airflow log chunks',
      fc.array(hostileJson(logPage), { minLength: 1, maxLength: 3 }),
      async (texts) => {
        pages = [...texts];
        const lines = [];
        for await (const line of client.taskInstances.logs('dag', 'run', 'task', { tryNumber: 1 })) {
          lines.push(line);
          if (lines.length > 1000) throw new Error('more log lines than the pages held');
        }
      },
    );
  });

  it('Pushgateway keys: every grouping path decodes back to the job and labels asked for, or a MetricsInputError', () => {
    fuzz(
      'pushgateway grouping keys',
      fc.record({ job: labelValue, groupings: fc.dictionary(labelName, labelValue, { maxKeys: 3 }) }),
      ({ job, groupings }) => {
        let path: string;
        try {
          path = groupingPath(job, groupings);
        } catch (error) {
          if (MetricsInputError.isInstance(error)) return;
          throw error;
        }
        // Only characters that travel in a URL path as they are: nothing to inject a query, fragment or header.
        expect(path).toMatch(/^[A-Za-z0-9_.:~\-/@=]*$/);
        expect(decodeGroupingPath(path)).toEqual({ job, labels: groupings });
      },
    );
  });
});
