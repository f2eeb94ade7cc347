// The secrets canary: a password, a token, an API key and a connection string's password go through every client
// of the family, which then meets a server that fails and echoes back everything it was sent (headers, URL,
// body). None of them may appear in any error (message, String, JSON, util.inspect with its causes), any log
// line, or any toString/toJSON/util.inspect of a client, its config, or the platform.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { AirflowClient } from '@mlops/airflow';
import type { Logger } from '@mlops/core';
import { FeatureStore } from '@mlops/feast';
import { FeatureServerClient } from '@mlops/feast/registry';
import { LogShipper, PrometheusClient, Pushgateway } from '@mlops/metrics';
import { MlflowClient } from '@mlops/mlflow';
import { createPlatform } from '@mlops/platform';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueType } from '../packages/feast/src/codec/value-type';
import {
  DataSource_SourceType,
  DataSourceSchema,
} from '../packages/feast/src/generated/proto/feast/core/DataSource_pb';
import { EntitySchema } from '../packages/feast/src/generated/proto/feast/core/Entity_pb';
import { FeatureViewSchema } from '../packages/feast/src/generated/proto/feast/core/FeatureView_pb';
import { RegistrySchema } from '../packages/feast/src/generated/proto/feast/core/Registry_pb';

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

/** The options every HTTP client of a case gets: the hostile fetch, the recording logger, no retries. */
interface Wire {
  fetch: typeof globalThis.fetch;
  logger: Logger;
  maxRetries: 0;
}

interface Made {
  /** What is printed (String, JSON, util.inspect) once the call has failed: the client, its config, ... */
  printed: () => unknown;
  /** A call that meets the failing server. */
  call: () => Promise<unknown>;
  /** Whether the call must fail in this mode (default: unless the server answered garbage). */
  mustFail?: boolean;
  /** What the error must say (the case met the server it means to, not an earlier failure). */
  errorMatches?: RegExp;
  /** Checks after the call (e.g. that the secret really went to the hostile server). */
  after?: () => void;
  /** Stops what the case started. */
  close?: () => Promise<unknown>;
}

interface Case {
  name: string;
  /** The server failures the case meets (default: every HTTP mode). */
  modes?: readonly string[];
  make: (wire: Wire, mode: string) => Made | Promise<Made>;
}

const registry = new Registry();
const withConfig = (client: { config: unknown }) => [client, client.config];

/** A case of an HTTP client: `create` builds it from the wire options, `call` meets the server. */
function httpCase<C>(
  name: string,
  create: (wire: Wire) => C,
  call: (client: C) => Promise<unknown>,
  printed: (client: C) => unknown = (client) => client,
): Case {
  return {
    name,
    make: (wire) => {
      const client = create(wire);
      return { printed: () => printed(client), call: () => call(client) };
    },
  };
}

const basic = { username: USER, password: CANARY.password };
const inUrl = (host: string) => `http://${USER}:${CANARY.connection}@${host}`;

const HTTP_CASES: Case[] = [
  httpCase(
    'AirflowClient with a password',
    (wire) => new AirflowClient({ baseUrl: 'http://airflow.test', ...basic, ...wire }),
    (c) => c.dags.get('d'),
    withConfig,
  ),
  httpCase(
    'AirflowClient with a token',
    (wire) => new AirflowClient({ baseUrl: 'http://airflow.test', token: CANARY.token, ...wire }),
    (c) => c.dagRuns.trigger('d', { runId: 'r' }),
    withConfig,
  ),
  httpCase(
    'MlflowClient with basic auth',
    (wire) => new MlflowClient({ trackingUri: 'http://mlflow.test', ...basic, ...wire }),
    (c) => c.getRun('r'),
    withConfig,
  ),
  httpCase(
    'MlflowClient with a token',
    (wire) => new MlflowClient({ trackingUri: 'http://mlflow.test', token: CANARY.token, ...wire }),
    (c) => c.logMetric('r', 'loss', 1),
    withConfig,
  ),
  httpCase(
    'MlflowClient with credentials in its URL',
    (wire) => new MlflowClient({ trackingUri: inUrl('mlflow.test'), ...wire }),
    (c) => c.getExperimentByName('e'),
    withConfig,
  ),
  httpCase(
    'MlflowClient artifact download with basic auth',
    (wire) => new MlflowClient({ trackingUri: 'http://mlflow.test', ...basic, ...wire }),
    (c) => c.resolveModel('runs:/r/model'),
  ),
  httpCase(
    'PrometheusClient with credentials in its URL',
    (wire) => new PrometheusClient({ url: inUrl('prometheus.test'), ...wire }),
    (c) => c.query('up'),
    withConfig,
  ),
  httpCase(
    'Pushgateway with credentials in its URL',
    (wire) => new Pushgateway({ url: inUrl('pushgateway.test'), ...wire }),
    (c) => c.push({ job: 'j', registry }),
  ),
  httpCase(
    'FeatureServerClient with a token',
    (wire) => new FeatureServerClient({ url: 'http://feast.test', token: CANARY.token, ...wire }),
    (c) => c.materializeIncremental({ end: new Date(0) }),
  ),
  {
    // A LogShipper reports lines Elasticsearch refused through onReject/onError and its stats, not by
    // rejecting flush(): those are printed too.
    name: 'LogShipper with an API key',
    make: ({ fetch, logger }) => {
      const refusals: unknown[] = [];
      const client = new LogShipper({
        elasticsearchUrl: 'http://es.test',
        dataStream: 'logs-canary-default',
        elasticsearchApiKey: CANARY.apiKey,
        fetch,
        logger,
        onReject: (rejected) => logger.error('rejected', { rejected }),
        onError: (error) => refusals.push(error),
        flushTimeoutMs: 2_000,
        retryInitialDelayMs: 1,
        retryMaxDelayMs: 5,
      });
      client.write('{"message":"hello"}');
      return {
        printed: () => [client, refusals, client.stats()],
        mustFail: false,
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

// ---- Feast: a FeatureStore whose feature_store.yaml holds a Redis password (online_store.connection_string) and a
// PostgreSQL password (offline_store.password), against servers that refuse the connection, or accept it and
// fail echoing back what they were sent (a Redis answering -ERR <the AUTH command>, a PostgreSQL asking for the
// cleartext password and failing the login with it in its message).

/** Bytes as printable text (what a hostile server would put in its answer). */
const printable = (data: Buffer) => data.toString('latin1').replace(/[^\x20-\x7e]/g, ' ');

async function listen(onSocket: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** A port nothing listens on (connection refused). */
async function refusedPort(): Promise<number> {
  const server = await listen((socket) => socket.destroy());
  const port = portOf(server);
  server.close();
  await once(server, 'close');
  return port;
}

/** What the echoing servers were sent (the canaries must really have gone there and back). */
const received = { redis: '', postgres: '' };

const echoRedis = listen((socket) => {
  socket.on('error', () => {});
  socket.on('data', (data) => {
    received.redis += printable(data);
    socket.write(`-ERR you sent ${printable(data)}\r\n`);
  });
});

/** PostgreSQL's backend messages: a type byte, then an int32 length counting itself. */
function pgMessage(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type, 'latin1'), length, body]);
}
const echoPostgres = listen((socket) => {
  socket.on('error', () => {});
  let messages = 0;
  socket.on('data', (data) => {
    received.postgres += printable(data);
    messages++;
    // An SSLRequest (8 bytes, code 80877103) is answered "no".
    if (data.length === 8 && data.readInt32BE(4) === 80_877_103) return void socket.write('N');
    if (messages <= 2 && data[0] !== 0x70 /* p */) {
      const cleartext = Buffer.alloc(4);
      cleartext.writeInt32BE(3); // AuthenticationCleartextPassword
      return void socket.write(pgMessage('R', cleartext));
    }
    const fields = [
      'SFATAL',
      'VFATAL',
      'C28P01',
      `Mpassword authentication failed, you sent ${printable(data)}`,
    ];
    socket.end(pgMessage('E', Buffer.from(`${fields.join('\0')}\0\0`, 'latin1')));
  });
});

const FEAST_ROOT = mkdtempSync(join(tmpdir(), 'secrets-feast-'));
afterAll(async () => {
  rmSync(FEAST_ROOT, { recursive: true, force: true });
  for (const server of await Promise.all([echoRedis, echoPostgres])) server.close();
});

/** A repo: the registry (one feature view over a PostgreSQL table) and a feature_store.yaml with both passwords. */
function feastRepo(redisPort: number, pgPort: number): string {
  const dir = mkdtempSync(join(FEAST_ROOT, 'repo-'));
  const entityColumns = [{ name: 'driver_id', valueType: ValueType.INT64 }];
  const proto = create(RegistrySchema, {
    entities: [create(EntitySchema, { spec: { name: 'driver', project: 'canary', joinKey: 'driver_id' } })],
    featureViews: [
      create(FeatureViewSchema, {
        spec: {
          name: 'fv',
          project: 'canary',
          entities: ['driver'],
          entityColumns,
          features: [{ name: 'x', valueType: ValueType.DOUBLE }],
          online: true,
          batchSource: create(DataSourceSchema, {
            name: 'fv_source',
            type: DataSource_SourceType.CUSTOM_SOURCE,
            timestampField: 'ts',
            options: {
              case: 'customOptions',
              value: {
                configuration: new TextEncoder().encode(
                  JSON.stringify({ name: 'fv_source', table: 'fv_table' }),
                ),
              },
            },
          }),
        },
      }),
    ],
  });
  writeFileSync(join(dir, 'registry.db'), toBinary(RegistrySchema, proto));
  writeFileSync(
    join(dir, 'feature_store.yaml'),
    [
      'project: canary',
      'provider: local',
      `registry: ${JSON.stringify(join(dir, 'registry.db'))}`,
      'online_store:',
      '  type: redis',
      `  connection_string: "127.0.0.1:${redisPort},password=${CANARY.password},ssl=false"`,
      'offline_store:',
      '  type: postgres',
      '  host: 127.0.0.1',
      `  port: ${pgPort}`,
      '  database: feast',
      `  user: ${USER}`,
      `  password: ${CANARY.connection}`,
      '  sslmode: disable',
      'entity_key_serialization_version: 3',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A FeatureStore case: `call` meets the servers of `mode` ('refused' or 'echo'). */
function feastCase(
  name: string,
  server: keyof typeof received,
  call: (store: FeatureStore) => Promise<unknown>,
): Case {
  return {
    name,
    modes: ['refused', 'echo'],
    make: async (_wire, mode) => {
      const [redisPort, pgPort] =
        mode === 'refused'
          ? [await refusedPort(), await refusedPort()]
          : [portOf(await echoRedis), portOf(await echoPostgres)];
      const store = new FeatureStore({ repoPath: feastRepo(redisPort, pgPort), onlineTimeoutMs: 1_500 });
      received[server] = '';
      const secret = server === 'redis' ? CANARY.password : CANARY.connection;
      return {
        printed: async () => [store, await store.getConfig()],
        call: () => call(store),
        errorMatches: server === 'redis' ? /Redis/ : /PostgreSQL/,
        after: () => {
          if (mode === 'echo')
            expect(received[server], `the ${server} server was sent the password`).toContain(secret);
        },
        close: () => store.close(),
      };
    },
  };
}

const FEAST_CASES: Case[] = [
  feastCase('FeatureStore online read (Redis password)', 'redis', (store) =>
    store.getOnlineFeatures({ features: ['fv:x'], entityRows: [{ driver_id: 1 }] }),
  ),
  feastCase('FeatureStore historical retrieval (PostgreSQL password)', 'postgres', async (store) => {
    const job = await store.getHistoricalFeatures({
      entityDf: { driver_id: [1], event_timestamp: [new Date('2026-01-01T00:00:00Z')] },
      features: ['fv:x'],
    });
    return job.toArrow();
  }),
];

const CASES: Case[] = [...HTTP_CASES, ...FEAST_CASES];

describe('secrets canary', () => {
  it.each(CASES.flatMap((c) => (c.modes ?? MODES).map((mode) => [c.name, mode, c] as const)))(
    '%s, server %s: no secret in errors, logs or printed clients',
    async (name, mode, c) => {
      const logger = recordingLogger();
      const wire: Wire = { fetch: hostileFetch(mode as Mode), logger, maxRetries: 0 };
      const made = await c.make(wire, mode);
      try {
        const error = await failure(made.call);
        // A call that reads no body (a POST answered 200) may succeed on garbage.
        if (made.mustFail ?? mode !== 'garbage')
          expect(error, `${name} should fail against a failing server`).toBeDefined();
        if (made.errorMatches) expect(String(error)).toMatch(made.errorMatches);
        made.after?.();
        expectNoCanary(
          [
            ...printed(error),
            ...printed((error as { cause?: unknown })?.cause),
            ...logger.lines,
            ...printed(await made.printed()),
          ],
          `${name} (${mode})`,
        );
      } finally {
        await made.close?.();
      }
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
