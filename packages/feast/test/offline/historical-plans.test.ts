// The point-in-time plans ('lookup', 'lookup-keys', 'arrays', 'auto') against the real PostgreSQL: each forced
// plan gives the brute-force answer worked out here (ties on created with NULLs, TTL and exact boundaries,
// NULL event timestamps and keys, naive timestamps, keys of two columns), through toArrow and stream; the
// choice is explained; a skewed key keeps lookups; the plan's settings end with its transaction.
import { create } from '@bufbuild/protobuf';
import type { Table } from 'apache-arrow';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValueType } from '../../src/codec/value-type';
import type { RepoConfig } from '../../src/config/repo-config';
import { InvalidFeatureRequestError, OfflineStoreError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { DataSource_SourceType, DataSourceSchema } from '../../src/generated/proto/feast/core/DataSource_pb';
import { EntitySchema } from '../../src/generated/proto/feast/core/Entity_pb';
import { FeatureViewSchema } from '../../src/generated/proto/feast/core/FeatureView_pb';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import type { HistoricalRetrievalJob } from '../../src/offline/historical';
import { arraysMisfit, decidePlan, PLAN_RULE, type PointInTimePlan } from '../../src/offline/plan-choice';
import type { RegistrySource } from '../../src/registry/sources';
import { feastRepo } from '../support/platform';
import { prng } from './support';

const pgConfig = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'feast' };
const PLANS: readonly PointInTimePlan[] = ['lookup', 'lookup-keys', 'arrays', 'auto'];
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const T0 = Date.parse('2026-04-01T00:00:00Z');
const SECOND = 1000;
const TTL_S = 3600;

interface SourceRow {
  k1: number | null;
  k2: string;
  ts: number | null;
  created: number | null;
  value: number | null;
  note: string | null;
}

/**
 * Random versions for keys (k1 1..24, k2 'a'|'b'); with `ties`, some repeat an event time with a later
 * created (the first of a tie may have none, and then loses). No two rows of one k1 are otherwise at the
 * same time, so every answer is unique (exact twins have none: nothing orders them).
 */
function sourceRows(seed: number, ties = true): SourceRow[] {
  const random = prng(seed);
  const rows: SourceRow[] = [];
  for (let k1 = 1; k1 <= 24; k1++) {
    const used = new Set<number>();
    for (const k2 of ['a', 'b']) {
      const versions = k1 === 1 ? 120 : Math.floor(random() * 12);
      let previous: SourceRow | undefined;
      for (let v = 0; v < versions; v++) {
        let ts: number;
        let created: number | null;
        if (ties && previous?.ts != null && random() < 0.25) {
          // The same event time again: a later created; the first of a tie may have none (it then loses).
          ts = previous.ts;
          created = (previous.created ?? ts) + (1 + Math.floor(random() * 600)) * SECOND;
        } else {
          do ts = T0 + Math.floor(random() * 36_000) * SECOND;
          while (used.has(ts));
          created = random() < 0.2 ? null : ts + Math.floor(random() * 60) * SECOND;
        }
        used.add(ts);
        previous = {
          k1,
          k2,
          ts,
          created,
          value: random() < 0.1 ? null : Math.round(random() * 1e6) / 100,
          note: random() < 0.1 ? null : `n${k1}${k2}-${v}${random() < 0.1 ? ' ü✓' : ''}`,
        };
        rows.push(previous);
      }
    }
  }
  // Rows no plan may ever return: no event time, no key.
  rows.push({ k1: 2, k2: 'a', ts: null, created: T0, value: -1, note: 'null ts' });
  rows.push({ k1: null, k2: 'a', ts: T0, created: T0, value: -2, note: 'null key' });
  return rows;
}

interface EntityRow {
  k1: number;
  k2: string;
  at: number;
}

function entityRows(seed: number, source: readonly SourceRow[], n: number): EntityRow[] {
  const random = prng(seed);
  const withTs = source.filter((r) => r.ts !== null && r.k1 !== null);
  const out: EntityRow[] = [];
  for (let i = 0; i < n; i++) {
    const roll = random();
    if (roll < 0.3) {
      // Exactly at a version, at the TTL's edge, or a millisecond beyond it.
      const r = withTs[Math.floor(random() * withTs.length)]!;
      const shift = [0, TTL_S * SECOND, TTL_S * SECOND + 1][Math.floor(random() * 3)]!;
      out.push({ k1: r.k1!, k2: r.k2, at: r.ts! + shift });
    } else {
      out.push({
        k1: 1 + Math.floor(random() * 26),
        k2: random() < 0.5 ? 'a' : 'b',
        at: T0 + Math.floor((random() * 40_000 - 1000) * SECOND),
      });
    }
  }
  return out;
}

/** The answer by definition: the latest version at or before `at` within the TTL; ties: larger created, NULL last. */
function bruteForce(
  source: readonly SourceRow[],
  row: EntityRow,
  keys: 1 | 2,
  withCreated: boolean,
): SourceRow | undefined {
  let best: SourceRow | undefined;
  for (const r of source) {
    if (r.ts === null || r.k1 !== row.k1 || (keys === 2 && r.k2 !== row.k2)) continue;
    if (r.ts > row.at || r.ts < row.at - TTL_S * SECOND) continue;
    if (!best || r.ts > best.ts!) best = r;
    else if (withCreated && r.ts === best.ts && (r.created ?? -Infinity) > (best.created ?? -Infinity))
      best = r;
  }
  return best;
}

/** A registry (project plans) with one view over `table`, keyed by k1 (and k2). */
function registry(table: string, keys: 1 | 2, withCreated: boolean, query = ''): RegistrySource {
  const entityColumns: Array<{ name: string; valueType: number }> = [
    { name: 'k1', valueType: ValueType.INT64 },
  ];
  if (keys === 2) entityColumns.push({ name: 'k2', valueType: ValueType.STRING });
  const proto = create(RegistrySchema, {
    entities: entityColumns.map((c) =>
      create(EntitySchema, {
        spec: { name: `e_${c.name}`, project: 'plans', joinKey: c.name, valueType: c.valueType },
      }),
    ),
    featureViews: [
      create(FeatureViewSchema, {
        spec: {
          name: 'stats',
          project: 'plans',
          entities: entityColumns.map((c) => `e_${c.name}`),
          entityColumns,
          features: [
            { name: 'value', valueType: ValueType.DOUBLE },
            { name: 'note', valueType: ValueType.STRING },
          ],
          ttl: { seconds: BigInt(TTL_S) },
          online: true,
          batchSource: create(DataSourceSchema, {
            name: 'stats_source',
            type: DataSource_SourceType.CUSTOM_SOURCE,
            timestampField: 'ts',
            createdTimestampColumn: withCreated ? 'created' : '',
            options: {
              case: 'customOptions',
              value: {
                configuration: new TextEncoder().encode(
                  JSON.stringify({ name: 'stats_source', table: query ? '' : table, query }),
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

const admin = new pg.Client(pgConfig);
let config: RepoConfig;
const tables: string[] = [];

beforeAll(async () => {
  await admin.connect();
  const platform = new FeatureStore({ repoPath: feastRepo });
  config = { ...(await platform.getConfig()), project: 'plans' };
  await platform.close();
});
afterAll(async () => {
  for (const table of tables) await admin.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)}`);
  await admin.end();
});

async function createSource(name: string, rows: readonly SourceRow[], tsType: string): Promise<string> {
  const table = `plans_${name}_${suffix}`;
  tables.push(table);
  const q = pg.escapeIdentifier(table);
  await admin.query(
    `CREATE TABLE ${q} (k1 bigint, k2 text, ts ${tsType}, created ${tsType}, value double precision, note text)`,
  );
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('Z', ''));
  // The values travel as naive UTC wall-clock times; zoned columns read them as UTC.
  const cast = (column: string) => (tsType === 'timestamptz' ? `${column} AT TIME ZONE 'UTC'` : column);
  await admin.query(
    `INSERT INTO ${q}
     SELECT k1, k2, ${cast('ts')}, ${cast('created')}, value, note
       FROM unnest($1::bigint[], $2::text[], $3::timestamp[], $4::timestamp[], $5::float8[], $6::text[])
         AS u(k1, k2, ts, created, value, note)`,
    [
      rows.map((r) => r.k1),
      rows.map((r) => r.k2),
      rows.map((r) => iso(r.ts)),
      rows.map((r) => iso(r.created)),
      rows.map((r) => r.value),
      rows.map((r) => r.note),
    ],
  );
  await admin.query(`ANALYZE ${q}`);
  return table;
}

/** [value, note] per entity row, as the plan returns them through toArrow and through stream. */
async function answers(
  job: HistoricalRetrievalJob,
  plan: PointInTimePlan,
): Promise<{ arrow: unknown[][]; stream: unknown[][] }> {
  const cells = (table: Table) => {
    const value = table.getChild('stats__value')!;
    const note = table.getChild('stats__note')!;
    return Array.from({ length: table.numRows }, (_, i) => [value.get(i), note.get(i)]);
  };
  const arrow = cells(await job.toArrow({ plan }));
  const stream: unknown[][] = [];
  for await (const batch of job.stream({ plan, batchRows: 97 })) {
    const value = batch.getChild('stats__value')!;
    const note = batch.getChild('stats__note')!;
    for (let i = 0; i < batch.numRows; i++) stream.push([value.get(i), note.get(i)]);
  }
  return { arrow, stream };
}

describe('every plan gives the brute-force answer', { timeout: 120_000 }, () => {
  const cases = [
    { name: 'zoned, created, one key', tsType: 'timestamptz', keys: 1 as const, withCreated: true },
    { name: 'zoned, created, two keys', tsType: 'timestamptz', keys: 2 as const, withCreated: true },
    { name: 'naive, no created, one key', tsType: 'timestamp', keys: 1 as const, withCreated: false },
  ];
  it.each(cases)('$name', async ({ name, tsType, keys, withCreated }) => {
    const source = sourceRows(7 + keys, withCreated);
    const table = await createSource(name.replace(/\W+/g, '_'), source, tsType);
    const rows = entityRows(11 + keys, source, 700);
    const truth = rows.map((row) => {
      const found = bruteForce(source, row, keys, withCreated);
      return [found?.value ?? null, found?.note ?? null];
    });
    // Not vacuous: most rows find a version, and some of those with a null value.
    expect(truth.filter((t) => t[1] !== null).length).toBeGreaterThan(150);
    const store = new FeatureStore({ config, registrySource: registry(table, keys, withCreated) });
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: {
          k1: rows.map((r) => r.k1),
          k2: rows.map((r) => r.k2),
          event_timestamp: rows.map((r) => new Date(r.at)),
        },
        features: ['stats:value', 'stats:note'],
        fullFeatureNames: true,
      });
      for (const plan of PLANS) {
        const got = await answers(job, plan);
        expect(got.arrow, `toArrow, plan ${plan}`).toEqual(truth);
        expect(got.stream, `stream, plan ${plan}`).toEqual(truth);
      }
      // The forced array plan really joins by arrays, and says why.
      const explained = await job.explain({ plan: 'arrays' });
      expect(explained).toMatch(/--\s+stats: arrays \(plan: 'arrays' was asked\)/);
      expect(explained).toMatch(/width_bucket/);
      expect(job.toSQL({ plan: 'arrays' })).toMatch(/array_agg\(t\)/);
      expect(job.toSQL({ plan: 'arrays' })).toMatch(/set_config\('enable_hashjoin', 'off', true\)/);
      // 'auto' at 700 entity rows looks up, and says why.
      expect(await job.explain()).toMatch(
        /--\s+stats: lookup \(700 entity rows, fewer than the 50000 from which arrays can pay\)/,
      );
    } finally {
      await store.close();
    }
  });

  it('a SQL entity frame under every plan (row numbers from 1, counted in the session)', async () => {
    const source = sourceRows(3);
    const table = await createSource('sql_frame', source, 'timestamptz');
    const rows = entityRows(5, source, 300);
    const truth = rows.map((row) => bruteForce(source, row, 1, true)?.value ?? null);
    const store = new FeatureStore({ config, registrySource: registry(table, 1, true) });
    try {
      const sql = `SELECT k1, k2, timestamptz 'epoch' + at * interval '1 millisecond' AS event_timestamp
                     FROM unnest(ARRAY[${rows.map((r) => r.k1).join(',')}]::bigint[],
                                 ARRAY[${rows.map((r) => `'${r.k2}'`).join(',')}]::text[],
                                 ARRAY[${rows.map((r) => r.at).join(',')}]::bigint[]) WITH ORDINALITY AS u(k1, k2, at, n)
                    ORDER BY n`;
      const job = await store.getHistoricalFeatures({ entityDf: sql, features: ['stats:value'] });
      for (const plan of PLANS) {
        const out = await job.toArrow({ plan });
        expect(
          [...out.getChild('value')!].map((v) => v ?? null),
          `plan ${plan}`,
        ).toEqual(truth);
        expect(await job.count({ plan })).toBe(rows.length);
      }
      expect(await job.explain({ plan: 'auto' })).toMatch(/300 entity rows/);
    } finally {
      await store.close();
    }
  });
});

describe('a skewed key keeps lookups', { timeout: 180_000 }, () => {
  it('a key with far more versions than PLAN_RULE.maxKeyVersions: lookups, the same answer, said so', async () => {
    const table = `plans_skew_${suffix}`;
    tables.push(table);
    const q = pg.escapeIdentifier(table);
    const heavy = PLAN_RULE.maxKeyVersions + 50_000;
    await admin.query(
      `CREATE TABLE ${q} AS
       SELECT 1::bigint AS k1, 'a'::text AS k2, timestamptz '2026-04-01' + g * interval '1 second' AS ts,
              NULL::timestamptz AS created, g::float8 AS value, 'v' || g AS note
         FROM generate_series(1, ${heavy}) AS g
       UNION ALL
       SELECT k::bigint, 'a', timestamptz '2026-04-01' + v * interval '1 hour', NULL, k * 100 + v, NULL
         FROM generate_series(2, 2001) AS k, generate_series(0, 4) AS v`,
    );
    await admin.query(`ANALYZE ${q}`);
    const store = new FeatureStore({ config, registrySource: registry(table, 1, true) });
    try {
      const at = new Date(Date.parse('2026-04-01T02:30:00Z'));
      const job = await store.getHistoricalFeatures({
        entityDf: { k1: [1, 2, 3, 9999], k2: ['a', 'a', 'a', 'a'], event_timestamp: [at, at, at, at] },
        features: ['stats:value'],
      });
      const explained = await job.explain({ plan: 'arrays' });
      expect(explained).toMatch(
        /stats: lookup \(arrays do not fit: its most frequent key holds ~\d+ versions/,
      );
      expect(explained).not.toMatch(/width_bucket/);
      const out = await job.toArrow({ plan: 'arrays' });
      expect([...out.getChild('value')!]).toEqual([9000, 202, 302, null]);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL refusing the arrays (54000, e.g. an array over 1 GB): toArrow runs again with lookups', async () => {
    const source = sourceRows(13);
    const table = await createSource('refused', source, 'timestamptz');
    // A query source that fails with SQLSTATE 54000 ("requested length too large") whenever the array plan's
    // settings are in force, as an array past PostgreSQL's 1 GB limit would; the lookups read it fine.
    const query = `SELECT k1, k2, ts, created, value,
                          CASE WHEN current_setting('enable_hashjoin') = 'off'
                               THEN repeat('x', 1100000000 + (k1 * 0)::int) ELSE note END AS note
                     FROM ${pg.escapeIdentifier(table)}`;
    const rows = entityRows(17, source, 200);
    const truth = rows.map((row) => bruteForce(source, row, 1, true)?.note ?? null);
    const store = new FeatureStore({ config, registrySource: registry(table, 1, true, query) });
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: {
          k1: rows.map((r) => r.k1),
          k2: rows.map((r) => r.k2),
          event_timestamp: rows.map((r) => new Date(r.at)),
        },
        features: ['stats:note'],
      });
      expect(await job.explain({ plan: 'arrays' })).toMatch(/stats: arrays/);
      const out = await job.toArrow({ plan: 'arrays' });
      expect([...out.getChild('note')!]).toEqual(truth);
      // stream() cannot take back rows it gave: the refusal is its error, typed, with PostgreSQL's words.
      const error = await (async () => {
        for await (const _ of job.stream({ plan: 'arrays' })) {
          // nothing comes before the sorts are done
        }
      })().catch((e: unknown) => e);
      expect(OfflineStoreError.isInstance(error)).toBe(true);
      expect((error as OfflineStoreError).sqlState).toBe('54000');
    } finally {
      await store.close();
    }
  });

  it('the misfit rule itself: entity-less views, filterByCreatedTimestamp, lists, dates, skew', () => {
    const view = (valueType: number, keys = 1) => ({
      view: { name: 'v' },
      keys: Array.from({ length: keys }, () => 'k'),
      features: [{ feature: { name: 'f', valueType, valueTypeName: 'X' } }],
    });
    const plan = (filterByCreatedTimestamp: boolean) => ({ filterByCreatedTimestamp });
    const misfit = (v: ReturnType<typeof view>, p = plan(false), ts?: string, max?: number) =>
      arraysMisfit(p, v, ts, max === undefined ? undefined : { rows: 1e6, maxKeyRows: max });
    expect(misfit(view(ValueType.DOUBLE))).toBeUndefined();
    expect(misfit(view(ValueType.DOUBLE, 0))).toMatch(/no entities/);
    expect(misfit(view(ValueType.DOUBLE), plan(true))).toMatch(/filterByCreatedTimestamp/);
    expect(misfit(view(ValueType.DOUBLE_LIST))).toMatch(/not a scalar/);
    expect(misfit(view(ValueType.DOUBLE), plan(false), 'date')).toMatch(/not timestamps/);
    expect(misfit(view(ValueType.DOUBLE), plan(false), undefined, 1e7)).toMatch(/skewed key/);
  });
});

describe('the automatic choice', () => {
  const features = [{ feature: { name: 'f', valueType: ValueType.DOUBLE, valueTypeName: 'DOUBLE' } }];
  const plan = {
    views: [
      { view: { name: 'big' }, keys: ['k'], features },
      { view: { name: 'small' }, keys: ['k'], features },
    ],
    filterByCreatedTimestamp: false,
  };
  const estimates = [
    { rows: 10_000_000, maxKeyRows: 100 },
    { rows: 1_000_000, maxKeyRows: 10 },
  ];
  const decide = (entityRows: number, asked: PointInTimePlan = 'auto', streaming = false) =>
    decidePlan(plan, asked, { entityRows, timestampType: 'timestamp with time zone', estimates, streaming });

  it('per view, from entity rows against the source estimate', () => {
    expect(decide(1_000).views.map((v) => v.join)).toEqual(['lookup', 'lookup']);
    expect(decide(1_000).lookupOrder).toBe('entity');
    expect(decide(100_000).lookupOrder).toBe('keys');
    const million = decide(1_000_000);
    expect(million.views.map((v) => v.join)).toEqual(['lookup', 'arrays']);
    expect(million.views[1]!.reason).toMatch(/1000000 entity rows vs ~1000000 source rows/);
    // A 10M-row source's sort spills: arrays only from ~1.15 entity rows per source row.
    const tenMillion = decide(10_000_000);
    expect(tenMillion.views.map((v) => v.join)).toEqual(['lookup', 'arrays']);
    expect(tenMillion.views[0]!.reason).toMatch(/arrays from 1\.15 for a source whose sort spills/);
    expect(decide(12_000_000).views.map((v) => v.join)).toEqual(['arrays', 'arrays']);
    // Below the in-memory ratio: lookups.
    expect(decide(550_000).views.map((v) => v.join)).toEqual(['lookup', 'lookup']);
    expect(decide(600_000).views.map((v) => v.join)).toEqual(['lookup', 'arrays']);
  });

  it("stream() keeps entity-order lookups under 'auto'; forced plans are forced", () => {
    const streamed = decide(10_000_000, 'auto', true);
    expect(streamed.views.map((v) => v.join)).toEqual(['lookup', 'lookup']);
    expect(streamed.lookupOrder).toBe('entity');
    expect(decide(10, 'arrays').views.map((v) => v.join)).toEqual(['arrays', 'arrays']);
    expect(decide(10_000_000, 'lookup').views.map((v) => v.join)).toEqual(['lookup', 'lookup']);
    expect(decide(10, 'lookup-keys').lookupOrder).toBe('keys');
  });
});

describe('safety of the array plan', () => {
  it('the order check is false for arrays aggregated out of order, true in order', async () => {
    // The check the array plan puts in each key's aggregate, run on rows given in and out of order.
    const store = new FeatureStore({ config, registrySource: registry('nowhere', 1, true) });
    let sql: string;
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: { k1: [1], k2: ['a'], event_timestamp: [new Date(T0)] },
        features: ['stats:value'],
      });
      sql = job.toSQL({ plan: 'arrays' });
    } finally {
      await store.close();
    }
    const check = /array_agg\(rn\) = ARRAY\(SELECT generate_series\(min\(rn\), max\(rn\)\)\) AS ok/.exec(
      sql,
    )?.[0];
    expect(check).toBeDefined();
    const run = async (values: number[]) =>
      (
        await admin.query(
          `SELECT ${check} FROM (SELECT rn FROM unnest($1::bigint[]) WITH ORDINALITY AS u(rn, o) ORDER BY o) AS s`,
          [values],
        )
      ).rows[0].ok as boolean;
    expect(await run([4, 5, 6, 7])).toBe(true);
    expect(await run([4, 6, 5, 7])).toBe(false);
    expect(await run([5, 4])).toBe(false);
  });

  it("the plan's settings end with its transaction: the next query on the pool sees the defaults", async () => {
    const table = await createSource('settings', sourceRows(9), 'timestamptz');
    const store = new FeatureStore({ config, registrySource: registry(table, 1, true) });
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: { k1: [1], k2: ['a'], event_timestamp: [new Date(T0 + 3_600_000)] },
        features: ['stats:value'],
      });
      await job.toArrow({ plan: 'arrays', workMem: '77MB' });
      // An entity SQL query runs on a pooled connection (the same one, idle again): it reads the settings.
      const probe = await store.getHistoricalFeatures({
        entityDf: `SELECT 1::bigint AS k1, 'a'::text AS k2, now() AS event_timestamp,
                          current_setting('work_mem') AS wm, current_setting('enable_hashjoin') AS hj`,
        features: ['stats:value'],
      });
      const out = await probe.toArrow({ plan: 'lookup' });
      expect(out.getChild('wm')!.get(0)).not.toBe('77MB');
      expect(out.getChild('hj')!.get(0)).toBe('on');
    } finally {
      await store.close();
    }
  });

  it('a bad plan name is refused before any query', async () => {
    const store = new FeatureStore({ config, registrySource: registry('nowhere', 1, true) });
    try {
      const job = await store.getHistoricalFeatures({
        entityDf: { k1: [1], k2: ['a'], event_timestamp: [new Date(T0)] },
        features: ['stats:value'],
      });
      const bad = 'fast' as PointInTimePlan | 'fast';
      const error = await job.toArrow({ plan: bad as PointInTimePlan }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFeatureRequestError);
      expect(String(error)).toMatch(
        /plan must be one of 'lookup', 'lookup-keys', 'arrays', 'auto', not "fast"/,
      );
    } finally {
      await store.close();
    }
  });
});
