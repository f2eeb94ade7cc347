// Historical retrieval against the real PostgreSQL: bad input, failures mid-stream, cancellation, and a corpus of
// hostile names. Values are checked against answers worked out here; the comparison with Feast Python is in
// historical.interop.test.ts.
import { create } from '@bufbuild/protobuf';
import { AbortError, ConfigError, ConnectionError, TimeoutError } from '@mlops/core';
import { Table, TimestampMicrosecond, vectorFromArray } from 'apache-arrow';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeError } from '../../src/codec/errors';
import { ValueType } from '../../src/codec/value-type';
import type { RepoConfig } from '../../src/config/repo-config';
import { FeastObjectNotFoundError, InvalidFeatureRequestError, OfflineStoreError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { DataSource_SourceType, DataSourceSchema } from '../../src/generated/proto/feast/core/DataSource_pb';
import { EntitySchema } from '../../src/generated/proto/feast/core/Entity_pb';
import { FeatureViewSchema } from '../../src/generated/proto/feast/core/FeatureView_pb';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import type { HistoricalRetrievalJob, RetrievalProgress } from '../../src/offline/historical';
import type { RegistrySource } from '../../src/registry/sources';
import { feastRepo } from '../support/platform';
import { rejection } from '../support/rejection';

const pgConfig = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'feast' };
const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** What `promise` rejects with, checked to be an `errorClass` whose message matches `message`. */
async function refusal<E extends Error>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
  message: RegExp,
): Promise<E> {
  const error = await promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect((error as Error).message).toMatch(message);
  return error as E;
}

describe('getHistoricalFeatures: bad input is refused before any query', () => {
  const store = new FeatureStore({ repoPath: feastRepo });
  afterAll(() => store.close());
  const ts = [new Date('2026-01-01T05:00:00Z')];

  it('unknown views and features name what exists', async () => {
    const error = await store
      .getHistoricalFeatures({
        entityDf: { driver_id: [1001], event_timestamp: ts },
        features: ['driver_hourly:conv_rate'],
      })
      .catch((e: unknown) => e);
    expect(FeastObjectNotFoundError.isInstance(error)).toBe(true);
    expect((error as FeastObjectNotFoundError).suggestions).toContain('driver_hourly_stats');
    const feature = await store
      .getHistoricalFeatures({
        entityDf: { driver_id: [1001], event_timestamp: ts },
        features: ['driver_hourly_stats:conv'],
      })
      .catch((e: unknown) => e);
    expect(FeastObjectNotFoundError.isInstance(feature)).toBe(true);
    expect(String(feature)).toMatch(/conv_rate/);
  });

  it('a missing join key column, a missing or ambiguous timestamp column', async () => {
    const features = ['driver_hourly_stats:conv_rate'];
    await refusal(
      store.getHistoricalFeatures({ entityDf: { event_timestamp: ts }, features }),
      InvalidFeatureRequestError,
      /looked up by driver_id, which the entity rows do not have/,
    );
    await refusal(
      store.getHistoricalFeatures({ entityDf: { driver_id: [1001] }, features }),
      InvalidFeatureRequestError,
      /no timestamp column/,
    );
    await refusal(
      store.getHistoricalFeatures({ entityDf: { driver_id: [1001], a: ts, b: ts }, features }),
      InvalidFeatureRequestError,
      /several timestamp columns \(a, b\)/,
    );
    // Either one can be chosen explicitly.
    const job = await store.getHistoricalFeatures({
      entityDf: { driver_id: [1001], a: ts, b: ts },
      features,
      eventTimestampColumn: 'b',
    });
    expect(job.timestampColumn).toBe('b');
    await refusal(
      store.getHistoricalFeatures({
        entityDf: { driver_id: [1001], event_timestamp: ['2026-01-01 05:00'] },
        features,
      }),
      InvalidFeatureRequestError,
      /has no time zone/,
    );
  });

  it("values that do not fit the join key type: the online paths' error, class and words", async () => {
    for (const bad of [1.5, '1002', 2 ** 60, true]) {
      const offline = await store
        .getHistoricalFeatures({
          entityDf: { driver_id: [1001, bad], event_timestamp: [ts[0], ts[0]] },
          features: ['driver_hourly_stats:conv_rate'],
        })
        .catch((e: unknown) => e as Error);
      const online = await store
        .getOnlineFeatures({
          features: ['driver_hourly_stats:conv_rate'],
          entities: { driver_id: [1001, bad as never] },
        })
        .catch((e: unknown) => e as Error);
      expect(InvalidFeatureRequestError.isInstance(offline), String(bad)).toBe(true);
      expect(InvalidFeatureRequestError.isInstance(online), String(bad)).toBe(true);
      expect((offline as Error).message).toBe((online as Error).message);
      expect((offline as Error).message).toMatch(
        /^Entity row 1: Cannot encode entity key \(driver_id\): INT64 .* \(feature view driver_hourly_stats needs driver_id as INT64\)\.$/,
      );
    }
    // Rows in row objects and Arrow columns of the wrong type get the same.
    const rows = await store
      .getHistoricalFeatures({
        entityDf: [{ driver_id: '1001', event_timestamp: ts[0] }],
        features: ['driver_hourly_stats:conv_rate'],
      })
      .catch((e: unknown) => e as Error);
    expect((rows as Error).message).toMatch(/^Entity row 0: .* got the string "1001"/);
    expect(EncodeError.isInstance(rows)).toBe(false);
  });

  it('a mistake in the entity SQL query is blamed on that query, not on a feature view', async () => {
    for (const [sql, advice] of [
      [
        'SELECT driver_id, event_timestamp FROM driver_hourly_statz',
        /A table your entity SQL query \(entityDf\) names does not exist/,
      ],
      [
        'SELECT driver_idd, event_timestamp FROM driver_hourly_stats',
        /A column your entity SQL query \(entityDf\) names does not exist/,
      ],
      ['SELEC driver_id FROM driver_hourly_stats', /Your entity SQL query \(entityDf\) is not valid SQL/],
    ] as const) {
      const error = await rejection(
        store.getHistoricalFeatures({ entityDf: sql, features: ['driver_hourly_stats:conv_rate'] }),
      );
      expect(OfflineStoreError.isInstance(error), sql).toBe(true);
      expect(error.message).toMatch(
        /^the PostgreSQL offline store refused describing the entity SQL query: /,
      );
      expect(error.message).toMatch(advice);
      expect(error.message).not.toMatch(/feature view/);
    }
  });

  it('on-demand views, name collisions, columns that clash with features', async () => {
    await refusal(
      store.getHistoricalFeatures({
        entityDf: { driver_id: [1001], event_timestamp: ts },
        featureService: 'driver_activity',
      }),
      InvalidFeatureRequestError,
      /on-demand feature view/,
    );
    // A feature asked for twice comes back once, as Feast returns it.
    const entityDf = { driver_id: [1001], event_timestamp: ts };
    const twice = await (
      await store.getHistoricalFeatures({
        entityDf,
        features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:conv_rate'],
      })
    ).toArrow();
    const once = await (
      await store.getHistoricalFeatures({ entityDf, features: ['driver_hourly_stats:conv_rate'] })
    ).toArrow();
    expect(twice.schema.fields.map((f) => f.name)).toEqual(['driver_id', 'event_timestamp', 'conv_rate']);
    expect(twice.numRows).toBe(1);
    expect(twice.toArray().map((r) => r.toJSON())).toEqual(once.toArray().map((r) => r.toJSON()));
    await refusal(
      store.getHistoricalFeatures({
        entityDf: { driver_id: [1001], event_timestamp: ts, conv_rate: [1] },
        features: ['driver_hourly_stats:conv_rate'],
      }),
      InvalidFeatureRequestError,
      /fullFeatureNames: true/,
    );
  });

  it('a null timestamp is refused with its row, and nothing is returned', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: [
        { driver_id: 1001, event_timestamp: ts[0] },
        { driver_id: 1002, event_timestamp: null },
      ],
      features: ['driver_hourly_stats:conv_rate'],
    });
    const error = await job.toArrow().catch((e: unknown) => e);
    expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/Entity row 1 has no event_timestamp/);
  });

  it('an offline store that is not PostgreSQL is a ConfigError', async () => {
    const config = await store.getConfig();
    const other = new FeatureStore({ config: { ...config, offlineStore: { type: 'file' } } as RepoConfig });
    try {
      const error = await other
        .getHistoricalFeatures({
          entityDf: { driver_id: [1001], event_timestamp: ts },
          features: ['driver_hourly_stats:conv_rate'],
        })
        .catch((e: unknown) => e);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect(String(error)).toMatch(/offline_store.type: postgres/);
    } finally {
      await other.close();
    }
  });
});

describe('getHistoricalFeatures: failures mid-way never return a partial result', () => {
  // Its own application_name, so the kills below hit this file's connections only.
  const applicationName = `mlops-feast-kill-test-${process.pid}`;
  const store = new FeatureStore({ repoPath: feastRepo, offline: { applicationName } });
  const admin = new pg.Client(pgConfig);
  beforeAll(() => admin.connect());
  afterAll(async () => {
    await store.close();
    await admin.end();
  });

  // 60k entity rows: a result of several MB, far more than one batch of 500 rows.
  const n = 60_000;
  const bigFrame = () => ({
    driver_id: Array.from({ length: n }, (_, i) => 1001 + (i % 10)),
    event_timestamp: Array.from(
      { length: n },
      (_, i) => new Date(Date.parse('2026-01-01T00:00:00Z') + (i % 48) * 3_600_000),
    ),
  });
  /** How many temporary tables named as this job's exist (its name is in its SQL). */
  const leftoverTables = (job: HistoricalRetrievalJob) => async () => {
    const table = /temporary table "(mlops_entity_df_[0-9a-f]+)"/.exec(job.toSQL())![1];
    const found = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_class WHERE relname = $1 AND relpersistence = 't'",
      [table],
    );
    return Number(found.rows[0]!.n);
  };

  it('a connection killed mid-stream throws ConnectionError, and the temporary table is gone', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: bigFrame(),
      features: ['driver_hourly_stats:conv_rate'],
    });
    let rows = 0;
    const error = await (async () => {
      for await (const batch of job.stream({ batchRows: 500 })) {
        if (rows === 0) {
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY (%'",
            [applicationName],
          );
        }
        rows += batch.numRows;
      }
    })().catch((e: unknown) => e);
    // Whether the kill lands mid-transfer or just before the commit, the stream must end in the error, never
    // in a normal end (the rows already yielded are the caller's to discard).
    expect(ConnectionError.isInstance(error)).toBe(true);
    await expect.poll(leftoverTables(job), { timeout: 5000 }).toBe(0);
    // The pool recovers: the next retrieval works.
    expect(
      (
        await (
          await store.getHistoricalFeatures({
            entityDf: bigFrame(),
            features: ['driver_hourly_stats:conv_rate'],
          })
        ).toArrow()
      ).numRows,
    ).toBe(n);
  });

  it('toArrow on a killed connection throws instead of returning the rows it had', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: bigFrame(),
      features: ['driver_hourly_stats:conv_rate'],
    });
    const killer = setInterval(() => {
      void admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND (query LIKE 'COPY (%' OR query LIKE 'COPY %FROM STDIN%')",
        [applicationName],
      );
    }, 5);
    try {
      const error = await job.toArrow().catch((e: unknown) => e);
      expect(ConnectionError.isInstance(error)).toBe(true);
    } finally {
      clearInterval(killer);
    }
  });

  it('statement timeouts are TimeoutError; aborts are AbortError', async () => {
    const slow = await store.getHistoricalFeatures({
      entityDf: 'SELECT 1001::bigint AS driver_id, now() AS event_timestamp FROM pg_sleep(2)',
      features: ['driver_hourly_stats:conv_rate'],
    });
    const timeout = await slow.toArrow({ timeoutMs: 200 }).catch((e: unknown) => e);
    expect(TimeoutError.isInstance(timeout)).toBe(true);
    expect(String(timeout)).toMatch(/200 ms/);

    const controller = new AbortController();
    const job = await store.getHistoricalFeatures({
      entityDf: bigFrame(),
      features: ['driver_hourly_stats:conv_rate'],
    });
    const aborted = await (async () => {
      for await (const _ of job.stream({ batchRows: 500, signal: controller.signal })) controller.abort();
    })().catch((e: unknown) => e);
    expect(AbortError.isInstance(aborted)).toBe(true);
    await expect.poll(leftoverTables(job), { timeout: 5000 }).toBe(0);
  });

  it('stopping a stream early releases its connection; later retrievals run', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: bigFrame(),
      features: ['driver_hourly_stats:conv_rate'],
    });
    for (let i = 0; i < 12; i++) {
      for await (const _ of job.stream({ batchRows: 100 })) break;
    }
    expect(await job.count()).toBe(n);
    expect((await job.toArrow()).numRows).toBe(n);
  });

  it('an entity column of another type than its join key is an OfflineStoreError that says so', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: "SELECT '1001'::text AS driver_id, now() AS event_timestamp",
      features: ['driver_hourly_stats:conv_rate'],
    });
    const error = await job.toArrow().catch((e: unknown) => e);
    expect(OfflineStoreError.isInstance(error)).toBe(true);
    expect((error as OfflineStoreError).sqlState).toBe('42883');
    expect(String(error)).toMatch(/operator does not exist: bigint = text/);
    expect(String(error)).toMatch(/give entity values of the join key type/);
  });

  it('a missing source table is an OfflineStoreError that says what to check', async () => {
    const config = { ...(await store.getConfig()), project: 'hostile' };
    const broken = new FeatureStore({ config, registrySource: hostileRegistry('no_such_table_for_mlops') });
    try {
      const job = await broken.getHistoricalFeatures({
        entityDf: { id: [1], event_timestamp: [at(0)] },
        features: ['stats:value'],
      });
      const error = await job.toArrow().catch((e: unknown) => e);
      expect(OfflineStoreError.isInstance(error)).toBe(true);
      expect((error as OfflineStoreError).sqlState).toBe('42P01');
      expect(String(error)).toMatch(/source table does not exist/);
    } finally {
      await broken.close();
    }
  });
});

/** A registry (project hostile) with one view `name` over `table`, all of whose names the caller picks. */
function hostileRegistry(
  table: string,
  names: { view?: string; key?: string; ts?: string; created?: string; feature?: string } = {},
): RegistrySource {
  const view = names.view ?? 'stats';
  const key = names.key ?? 'id';
  const proto = create(RegistrySchema, {
    entities: [
      create(EntitySchema, {
        spec: { name: 'thing', project: 'hostile', joinKey: key, valueType: ValueType.INT64 },
      }),
    ],
    featureViews: [
      create(FeatureViewSchema, {
        spec: {
          name: view,
          project: 'hostile',
          entities: ['thing'],
          entityColumns: [{ name: key, valueType: ValueType.INT64 }],
          features: [{ name: names.feature ?? 'value', valueType: ValueType.DOUBLE }],
          ttl: { seconds: 3600n },
          online: true,
          batchSource: create(DataSourceSchema, {
            name: `${view}_source`,
            type: DataSource_SourceType.CUSTOM_SOURCE,
            timestampField: names.ts ?? 'event_timestamp',
            createdTimestampColumn: names.created ?? 'created',
            options: {
              case: 'customOptions',
              value: {
                configuration: new TextEncoder().encode(
                  JSON.stringify({ name: `${view}_source`, table, query: '' }),
                ),
              },
            },
          }),
        },
      }),
    ],
  });
  return { description: 'a registry built in the test', load: async () => proto };
}

describe('hostile names change nothing but the names', () => {
  const corpus = [
    'we"ird',
    'semi;colon',
    'x"; DROP TABLE off_guard; --',
    'ünïcödé 名前',
    'select',
    'Mixed Case',
    'a.b',
    "it's",
    'back\\slash',
  ];
  const admin = new pg.Client(pgConfig);
  const q = pg.escapeIdentifier;
  let config: RepoConfig;

  beforeAll(async () => {
    await admin.connect();
    await admin.query('CREATE TABLE IF NOT EXISTS off_guard (x int)');
    const platform = new FeatureStore({ repoPath: feastRepo });
    config = { ...(await platform.getConfig()), project: 'hostile' };
    await platform.close();
  });
  afterAll(async () => {
    for (const name of corpus) await admin.query(`DROP TABLE IF EXISTS ${q(`hostile ${name}`)}`);
    await admin.query('DROP TABLE IF EXISTS hostile_plain');
    await admin.end();
  });

  async function createTable(
    table: string,
    n: { key: string; ts: string; created: string; feature: string },
  ) {
    await admin.query(`DROP TABLE IF EXISTS ${q(table)}`);
    await admin.query(
      `CREATE TABLE ${q(table)} (${q(n.key)} bigint, ${q(n.ts)} timestamptz, ${q(n.created)} timestamptz, ${q(n.feature)} double precision)`,
    );
    // Entity 1: versions at 0 and 30 min; a tie at 60 min broken by created; entity 2 has one old row.
    await admin.query(
      `INSERT INTO ${q(table)} VALUES
        (1, $1, $1, 1.5), (1, $2, $2, 2.5), (1, $3, $3, 3.5), (1, $3, $4, 4.5), (2, $5, $5, 9.5)`,
      [at(0), at(30), at(60), at(61), at(-600)],
    );
  }

  const entityRows = (key: string, extra: string) => ({
    [key]: [1, 1, 1, 2, 3],
    event_timestamp: [at(10), at(45), at(90), at(0), at(0)],
    [extra]: ['a', 'b', 'c', 'd', 'e'],
  });

  async function retrieve(
    table: string,
    n: { view: string; key: string; ts: string; created: string; feature: string },
    extra: string,
  ) {
    const store = new FeatureStore({ config, registrySource: hostileRegistry(table, n) });
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: entityRows(n.key, extra),
        features: [`${n.view}:${n.feature}`],
        fullFeatureNames: true,
      });
      const table_ = await job.toArrow();
      return {
        columns: table_.schema.fields.map((f) => f.name),
        values: table_.getChildAt(3)!.toArray() as Float64Array,
        sql: job.toSQL(),
      };
    } finally {
      await store.close();
    }
  }

  it('plain names give the expected values', async () => {
    const names = { view: 'stats', key: 'id', ts: 'event_timestamp', created: 'created', feature: 'value' };
    await createTable('hostile_plain', names);
    const result = await retrieve('hostile_plain', names, 'label');
    expect(result.columns).toEqual(['id', 'event_timestamp', 'label', 'stats__value']);
    // Null rows read as 0 in a Float64Array; the nulls are checked through the validity in the next test.
    expect([...result.values]).toEqual([1.5, 2.5, 4.5, 0, 0]);
  });

  it.each(corpus)(
    '%s as table, view, key, timestamp, created, feature and entity column names',
    async (name) => {
      const names = {
        view: `v ${name}`,
        key: `k ${name}`,
        ts: `t ${name}`,
        created: `c ${name}`,
        feature: `f ${name}`,
      };
      await createTable(`hostile ${name}`, names);
      const result = await retrieve(`hostile ${name}`, names, `e ${name}`);
      expect(result.columns).toEqual([`k ${name}`, 'event_timestamp', `e ${name}`, `v ${name}__f ${name}`]);
      expect([...result.values]).toEqual([1.5, 2.5, 4.5, 0, 0]);
      // The guard table is still there: nothing in a name ever ran as SQL.
      expect((await admin.query("SELECT to_regclass('off_guard') IS NOT NULL AS ok")).rows[0].ok).toBe(true);
    },
  );

  it('toSQL, count, explain and the index helper', async () => {
    const names = { view: 'stats', key: 'id', ts: 'event_timestamp', created: 'created', feature: 'value' };
    await createTable('hostile_plain', names);
    const store = new FeatureStore({ config, registrySource: hostileRegistry('hostile_plain', names) });
    try {
      const request = { features: ['stats:value'] };
      const before = await store.offlineIndexes(request);
      expect(before).toHaveLength(1);
      expect(before[0]).toMatchObject({ featureView: 'stats', table: 'hostile_plain', exists: false });
      expect(before[0]!.sql).toMatch(
        /^CREATE INDEX IF NOT EXISTS "hostile_plain_pit_[0-9a-f]{8}_idx" ON "hostile_plain" \("id", "event_timestamp" DESC, "created" DESC NULLS LAST\)$/,
      );
      expect(await store.createOfflineIndexes(request)).toEqual([before[0]!.sql]);
      expect((await store.offlineIndexes(request))[0]!.exists).toBe(true);
      // Nothing left to create the second time.
      expect(await store.createOfflineIndexes(request)).toEqual([]);
      // The covering index (opt-in) is another index: the plain one does not hold the features.
      const covering = await store.offlineIndexes(request, { includeFeatures: true });
      expect(covering[0]).toMatchObject({ include: ['value'], exists: false });
      expect(covering[0]!.sql).toMatch(
        /^CREATE INDEX IF NOT EXISTS "hostile_plain_pit_[0-9a-f]{8}_idx" ON "hostile_plain" \("id", "event_timestamp", "created" NULLS FIRST\) INCLUDE \("value"\)$/,
      );
      expect(covering[0]!.sql).not.toBe(before[0]!.sql);
      expect(await store.createOfflineIndexes(request, { includeFeatures: true })).toEqual([
        covering[0]!.sql,
      ]);
      expect((await store.offlineIndexes(request, { includeFeatures: true }))[0]!.exists).toBe(true);
      // An index in the array plan's order serves the lookups too (read backwards): without the plain one,
      // nothing is left to create.
      const plainName = /INDEX IF NOT EXISTS ("[^"]+")/.exec(before[0]!.sql!)![1]!;
      await admin.query(`DROP INDEX ${plainName}`);
      expect((await store.offlineIndexes(request))[0]!.exists).toBe(true);
      expect(await store.createOfflineIndexes(request)).toEqual([]);

      const job = await store.getHistoricalFeatures({ entityDf: entityRows('id', 'label'), ...request });
      const sql = job.toSQL();
      // Names quoted, the TTL a setting (not pasted into the query), no values of the entity rows anywhere.
      expect(sql).toContain(`SELECT set_config('mlops_feast.ttl_0', '3600 seconds', true);`);
      expect(sql).toContain(`current_setting('mlops_feast.ttl_0')::interval`);
      expect(sql).toContain('FROM "hostile_plain" AS s');
      expect(sql).not.toMatch(/'a'|'b'|1\.5/);
      expect(await job.count()).toBe(5);
      const progress: RetrievalProgress[] = [];
      await job.toArrow({ onProgress: (p) => progress.push(p) });
      expect(progress.at(0)).toEqual({ phase: 'uploaded', rows: 0, totalRows: 5 });
      expect(progress.at(-1)).toEqual({ phase: 'done', rows: 5, totalRows: 5 });
      const streamed: RetrievalProgress[] = [];
      for await (const _ of job.stream({ batchRows: 2, onProgress: (p) => streamed.push(p) })) {
        // consumed
      }
      expect(streamed.map((p) => `${p.phase}:${p.rows}`)).toEqual([
        'uploaded:0',
        'rows:2',
        'rows:4',
        'rows:5',
        'done:5',
      ]);
      const plan = await job.explain({ analyze: true });
      expect(plan).toMatch(/Nested Loop Left Join/);
      expect(plan).toMatch(/actual time=.*rows=5/);
      const sqlJob = await store.getHistoricalFeatures({
        entityDf: `SELECT 1::bigint AS id, now() AS event_timestamp UNION ALL SELECT 2, now()`,
        ...request,
      });
      expect(await sqlJob.count()).toBe(2);
      expect((await sqlJob.toArrow()).numRows).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('an Arrow table works as the entity frame, naive and zoned timestamps alike', async () => {
    const names = { view: 'stats', key: 'id', ts: 'event_timestamp', created: 'created', feature: 'value' };
    await createTable('hostile_plain', names);
    const store = new FeatureStore({ config, registrySource: hostileRegistry('hostile_plain', names) });
    try {
      const entityDf = new Table({
        id: vectorFromArray(BigInt64Array.from([1n, 1n, 3n])),
        // vectorFromArray takes ms and stores µs.
        event_timestamp: vectorFromArray(
          [at(10), at(45), at(0)].map((d) => d.getTime()),
          new TimestampMicrosecond('UTC'),
        ),
      });
      const job = await store.getHistoricalFeatures({ entityDf, features: ['stats:value'] });
      const table = await job.toArrow();
      expect(table.getChild('value')!.toArray()).toEqual(Float64Array.from([1.5, 2.5, 0]));
      expect(table.getChild('value')!.nullCount).toBe(1);
      // A slice of a table (its buffers start mid-way) reads the rows of the slice.
      const sliced = await (
        await store.getHistoricalFeatures({ entityDf: entityDf.slice(1), features: ['stats:value'] })
      ).toArrow();
      expect(sliced.getChild('id')!.toArray()).toEqual(BigInt64Array.from([1n, 3n]));
      expect(sliced.getChild('value')!.toArray()).toEqual(Float64Array.from([2.5, 0]));
    } finally {
      await store.close();
    }
  });
});
