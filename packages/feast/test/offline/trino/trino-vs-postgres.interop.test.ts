/**
 * Ours on Trino against ours on PostgreSQL, on the same rows (the off_* tables, read by Trino through its
 * postgresql catalog): cell by cell, in entity order, for the edge cases and seeded random rows, every view
 * kind (table and query sources, TTL and none, two string keys, field mapping with naive timestamps, no
 * entities), full feature names, feature services with aliases and join-key maps.
 */
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../../src/index';
import { entityColumns, entityRowsForEdgeCases, randomEntityRows, tableRows } from '../support';
import { setupTrinoRepo, type TrinoRepo } from './support';

let repo: TrinoRepo;
let trino: FeatureStore;
let postgres: FeatureStore;

beforeAll(async () => {
  repo = await setupTrinoRepo();
  trino = new FeatureStore({ repoPath: repo.repoPath });
  postgres = new FeatureStore({ repoPath: repo.pgRepoPath });
}, 300_000);

afterAll(async () => {
  await trino?.close();
  await postgres?.close();
});

const ALL = [
  'driver_stats:conv_rate',
  'driver_stats:acc_rate',
  'driver_stats:trips',
  'driver_stats:note',
  'driver_stats_no_ttl:trips',
  'pair_stats:score',
  'pair_stats:label',
  'mapped_stats:rating',
  'global_stats:total_rides',
];

async function both(request: Parameters<FeatureStore['getHistoricalFeatures']>[0]): Promise<[Table, Table]> {
  const ours = await (await trino.getHistoricalFeatures(request)).toArrow();
  const reference = await (await postgres.getHistoricalFeatures(request)).toArrow();
  return [ours, reference];
}

function expectSame(ours: Table, reference: Table): void {
  expect(ours.schema.fields.map((f) => [f.name, String(f.type)])).toEqual(
    reference.schema.fields.map((f) => [f.name, String(f.type)]),
  );
  expect(ours.numRows).toBe(reference.numRows);
  expect(tableRows(ours)).toEqual(tableRows(reference));
}

describe('getHistoricalFeatures on Trino equals the PostgreSQL path', () => {
  it('edge cases, every view, in entity order', { timeout: 180_000 }, async () => {
    const rows = entityRowsForEdgeCases().filter((r) => r.driver_id !== 8); // exact twins: either row is right
    const entityDf = entityColumns(rows);
    const [ours, reference] = await both({ entityDf, features: ALL, fullFeatureNames: true });
    expect(ours.numRows).toBe(rows.length);
    expectSame(ours, reference);
  });

  it('seeded random entity rows', { timeout: 180_000 }, async () => {
    const entityDf = entityColumns(randomEntityRows(7, 400));
    const [ours, reference] = await both({ entityDf, features: ALL, fullFeatureNames: true });
    expectSame(ours, reference);
  });

  it('filterByCreatedTimestamp (the join plan)', { timeout: 180_000 }, async () => {
    const rows = entityRowsForEdgeCases().filter((r) => r.driver_id !== 8);
    const entityDf = entityColumns(rows);
    const [ours, reference] = await both({
      entityDf,
      features: ['driver_stats:trips', 'driver_stats:note', 'mapped_stats:rating'],
      filterByCreatedTimestamp: true,
    });
    expectSame(ours, reference);
  });

  it('feature services with an alias and a join-key map', { timeout: 180_000 }, async () => {
    const rows = randomEntityRows(11, 50);
    const entityDf = { ...entityColumns(rows), other_driver_id: rows.map((r) => r.driver_id) };
    for (const featureService of ['training_v1', 'aliased', 'join_mapped']) {
      const [ours, reference] = await both({ entityDf, featureService, fullFeatureNames: true });
      expectSame(ours, reference);
    }
  });

  it('an entity SQL query', { timeout: 180_000 }, async () => {
    const sql = (table: string) =>
      `SELECT driver_id, event_timestamp FROM ${table} WHERE driver_id <> 8 ORDER BY driver_id, event_timestamp`;
    const features = ['driver_stats:trips', 'driver_stats:note'];
    const ours = await (
      await trino.getHistoricalFeatures({ entityDf: sql('postgresql.public.off_driver_entities'), features })
    ).toArrow();
    const reference = await (
      await postgres.getHistoricalFeatures({ entityDf: sql('off_driver_entities'), features })
    ).toArrow();
    // Row order of an entity query is the engine's: compare as sets. (Driver 8's exact twins: either row is right.)
    const key = (r: Record<string, unknown>) =>
      JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}` : v));
    expect(tableRows(ours).map(key).sort()).toEqual(tableRows(reference).map(key).sort());
    expect(ours.numRows).toBeGreaterThan(0);
  });

  it('toSQL, explain (a distributed plan: key-partitioned windows and joins, dynamic filters on the scans, no per-row lookups), progress and bounded batches', {
    timeout: 180_000,
  }, async () => {
    const entityDf = entityColumns(randomEntityRows(13, 300));
    const job = await trino.getHistoricalFeatures({
      entityDf,
      features: ['driver_stats:trips', 'pair_stats:label'],
    });
    const sql = job.toSQL();
    expect(sql).toMatch(/^CREATE TABLE "memory"\."feast"\."mlops_entity_df_[0-9a-f]{16}"/);
    expect(sql).toContain('IGNORE NULLS OVER (PARTITION BY k0');
    expect(sql).toContain('PARTITION BY k0, k1');
    // driver_stats has a TTL: a key join ranked per entity row; every key narrowed by a semi-join first.
    expect(sql).toContain(
      'row_number() OVER (PARTITION BY e."__mlops_row" ORDER BY s."event_timestamp" DESC',
    );
    expect(sql).toContain('s."driver_id" IN (SELECT "driver_id" FROM entity_rows)');
    expect(sql).toContain(
      's."k1" IN (SELECT "k1" FROM entity_rows) AND s."k2" IN (SELECT "k2" FROM entity_rows)',
    );
    expect(sql).toMatch(/DROP TABLE IF EXISTS "memory"\."feast"\."mlops_entity_df_[0-9a-f]{16}";$/);
    const plan = await job.explain();
    expect(plan).toMatch(/Fragment \d+ \[HASH\]/);
    expect(plan).toMatch(/Window\[partitionBy = \[k0/);
    expect(plan).toMatch(/TopNRanking\[partitionBy = \[mlops_row/);
    expect(plan).toMatch(/dynamicFilterAssignments = \{/);
    expect(plan).not.toMatch(/CorrelatedJoin|Apply/);
    // Run: the entity keys' dynamic filters reached the PostgreSQL scans.
    const analyzed = await job.explain({ analyze: true });
    expect(analyzed).toMatch(/ScanFilter\[table = postgresql:public\.off_driver_stats/);
    expect(analyzed).toMatch(/Dynamic filters:[\s│]*- df_\w+, \[ SortedRangeSet\[type=bigint, ranges=\d+/);
    const progress: string[] = [];
    const sizes: number[] = [];
    for await (const batch of job.stream({ batchRows: 64, onProgress: (p) => progress.push(p.phase) })) {
      sizes.push(batch.numRows);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    expect(progress[0]).toBe('uploaded');
    expect(progress.at(-1)).toBe('done');
    expect(await job.count()).toBe(300);
  });
});
