// The secrets canary: a password, a token, an API key and a connection string's password go through every client
// of the family, which then meets a server that fails and echoes back everything it was sent (headers, URL,
// body). None of them may appear in any error (message, String, JSON, util.inspect with its causes), any log
// line, or any toString/toJSON/util.inspect of a client, its config, or the platform.
import { inspect } from 'node:util';
import { AirflowClient } from '@mlops/airflow';
import type { Logger } from '@mlops/core';
import { FeatureServerClient } from '@mlops/feast/registry';
import { LogShipper, PrometheusClient, Pushgateway } from '@mlops/metrics';
import { MlflowClient } from '@mlops/mlflow';
import { createPlatform } from '@mlops/platform';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

const CANARY = {
  password: 'canary-pw-Zq7xK2vB',
  token: 'canary-token-Jm4vP9sW',
  apiKey: 'canary-apikey-Rt8wL3nQ',
  connection: 'canary-conn-pw-Hy5cD1',
};
const USER = 'canary-user';
/** Every form a canary may take on the wire: as is, URL-encoded, and inside basic auth's base64. */
const FORMS = Object.values(CANARY).flatMap((secret) => [
  secret,
  encodeURIComponent(secret),
  Buffer.from(`${USER}:${secret}`).toString('base64'),
]);

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields)} ${inspect(fields, { depth: 10 })}`);
  };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

type Mode = 'echo-500' | 'echo-401' | 'echo-400' | 'garbage' | 'reset';
const MODES: Mode[] = ['echo-500', 'echo-401', 'echo-400', 'garbage', 'reset'];

/** A server that fails the way `mode` says, echoing what it was sent into its body. */
function hostileFetch(mode: Mode): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const sent = `${request.method} ${request.url} ${[...request.headers].map(([k, v]) => `${k}: ${v}`).join('; ')} ${await request.text()}`;
    // A network error says nothing of what was sent (as undici's do not).
    if (mode === 'reset') throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    if (mode === 'garbage')
      return new Response(`{"not json ${sent}`, {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    const status = Number(mode.slice(-3));
    return Response.json(
      { detail: sent, message: sent, error: sent },
      { status, headers: { 'x-echo': sent.slice(0, 200).replace(/[^\x20-\x7e]/g, '') } },
    );
  };
}

async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return undefined;
}

function printed(value: unknown): string[] {
  const out = [inspect(value, { depth: 12, showHidden: false }), String(value)];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // A value JSON cannot hold (a cycle) is printed by inspect above.
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? '');
  return out;
}

function expectNoCanary(texts: string[], where: string): void {
  const all = texts.join('\n');
  for (const form of FORMS) {
    if (all.includes(form)) {
      const at = all.indexOf(form);
      throw new Error(
        `${where}: a secret (${form}) appears in what was printed: …${all.slice(Math.max(0, at - 240), at + 60)}…`,
      );
    }
  }
}

interface Case {
  name: string;
  make: (fetch: typeof globalThis.fetch, logger: Logger) => { client: unknown; call: () => Promise<unknown> };
}

const registry = new Registry();

const CASES: Case[] = [
  {
    name: 'AirflowClient with a password',
    make: (fetch, logger) => {
      const client = new AirflowClient({
        baseUrl: 'http://airflow.test',
        username: USER,
        password: CANARY.password,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.dags.get('d') };
    },
  },
  {
    name: 'AirflowClient with a token',
    make: (fetch, logger) => {
      const client = new AirflowClient({
        baseUrl: 'http://airflow.test',
        token: CANARY.token,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.dagRuns.trigger('d', { runId: 'r' }) };
    },
  },
  {
    name: 'MlflowClient with basic auth',
    make: (fetch, logger) => {
      const client = new MlflowClient({
        trackingUri: 'http://mlflow.test',
        username: USER,
        password: CANARY.password,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.getRun('r') };
    },
  },
  {
    name: 'MlflowClient with a token',
    make: (fetch, logger) => {
      const client = new MlflowClient({
        trackingUri: 'http://mlflow.test',
        token: CANARY.token,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.logMetric('r', 'loss', 1) };
    },
  },
  {
    name: 'MlflowClient with credentials in its URL',
    make: (fetch, logger) => {
      const client = new MlflowClient({
        trackingUri: `http://${USER}:${CANARY.connection}@mlflow.test`,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.getExperimentByName('e') };
    },
  },
  {
    name: 'MlflowClient artifact download with basic auth',
    make: (fetch, logger) => {
      const client = new MlflowClient({
        trackingUri: 'http://mlflow.test',
        username: USER,
        password: CANARY.password,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client, call: () => client.resolveModel('runs:/r/model') };
    },
  },
  {
    name: 'PrometheusClient with credentials in its URL',
    make: (fetch, logger) => {
      const client = new PrometheusClient({
        url: `http://${USER}:${CANARY.connection}@prometheus.test`,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client: [client, client.config], call: () => client.query('up') };
    },
  },
  {
    name: 'Pushgateway with credentials in its URL',
    make: (fetch, logger) => {
      const client = new Pushgateway({
        url: `http://${USER}:${CANARY.connection}@pushgateway.test`,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client, call: () => client.push({ job: 'j', registry }) };
    },
  },
  {
    name: 'FeatureServerClient with a token',
    make: (fetch, logger) => {
      const client = new FeatureServerClient({
        url: 'http://feast.test',
        token: CANARY.token,
        fetch,
        logger,
        maxRetries: 0,
      });
      return { client, call: () => client.materializeIncremental({ end: new Date(0) }) };
    },
  },
  {
    name: 'LogShipper with an API key',
    make: (fetch, logger) => {
      const client = new LogShipper({
        elasticsearchUrl: 'http://es.test',
        dataStream: 'logs-canary-default',
        elasticsearchApiKey: CANARY.apiKey,
        fetch,
        logger,
        onReject: (rejected) => {
          logger.error('rejected', { rejected });
        },
        flushTimeoutMs: 2_000,
        retryInitialDelayMs: 1,
        retryMaxDelayMs: 5,
      });
      client.write('{"message":"hello"}');
      return {
        client,
        call: async () => {
          try {
            await client.flush({ timeoutMs: 1_000 });
          } finally {
            await client.close({ timeoutMs: 100 }).catch(() => {});
          }
        },
      };
    },
  },
];

describe('secrets canary', () => {
  it.each(CASES.flatMap((c) => MODES.map((mode) => [c.name, mode, c] as const)))(
    '%s, server %s: no secret in errors, logs or printed clients',
    async (name, mode, c) => {
      const logger = recordingLogger();
      const { client, call } = c.make(hostileFetch(mode), logger);
      const error = await failure(call);
      // A call that reads no body (a POST answered 200) may succeed on garbage; a LogShipper reports lines
      // Elasticsearch refused through onReject and its stats, not by rejecting flush().
      if (mode !== 'garbage' && !name.startsWith('LogShipper'))
        expect(error, `${name} should fail against a failing server`).toBeDefined();
      expectNoCanary(
        [
          ...printed(error),
          ...printed((error as { cause?: unknown })?.cause),
          ...logger.lines,
          ...printed(client),
        ],
        `${name} (${mode})`,
      );
    },
  );

  it('createPlatform with every secret: its config and clients print none', () => {
    const platform = createPlatform({
      mlflow: { trackingUri: 'http://mlflow.test', username: USER, password: CANARY.password },
      airflow: { baseUrl: 'http://airflow.test', token: CANARY.token },
      metrics: {
        elasticsearchApiKey: CANARY.apiKey,
        prometheusUrl: `http://${USER}:${CANARY.connection}@prometheus.test`,
      },
    });
    expectNoCanary(
      [
        ...printed(platform),
        ...printed(platform.config),
        ...printed(platform.mlflow),
        ...printed(platform.airflow),
      ],
      'createPlatform',
    );
  });
});
