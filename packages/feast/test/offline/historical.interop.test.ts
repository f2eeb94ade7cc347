// Our getHistoricalFeatures against Feast Python's get_historical_features(...).to_arrow() on the same PostgreSQL
// data (the off_* tables of support.ts, project mlops_offline), compared cell by cell through Arrow IPC. Where
// Feast 0.67 is wrong, the test says so and checks both answers.
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store';
import type { PointInTimePlan } from '../../src/offline/plan-choice';
import {
  entityColumns,
  entityRowsForEdgeCases,
  feastHistorical,
  type OfflineEntityRow,
  randomEntityRows,
  setupOfflineRepo,
  sortRows,
  tableRows,
} from './support';

/** Drivers whose data Feast answers wrongly (checked separately below). */
const FEAST_WRONG_DRIVERS = new Set([8, 9]);

let repoPath: string;
let store: FeatureStore;

beforeAll(async () => {
  ({ repoPath } = await setupOfflineRepo());
  store = new FeatureStore({ repoPath });
}, 600_000);
afterAll(() => store?.close());

interface Ask {
  entityRows: Record<string, unknown[]>;
  features?: string[];
  featureService?: string;
  fullFeatureNames?: boolean;
}

/** Every plan, forced, and 'auto': each must give Feast's answer (the tables are tiny, so 'auto' looks up). */
const PLANS: readonly PointInTimePlan[] = ['lookup', 'lookup-keys', 'arrays', 'auto'];

/** Ours under every plan (`all`, in PLANS order; `ours` is 'auto'), and Feast Python's answer. */
async function both(ask: Ask): Promise<{ ours: Table; all: Table[]; feast: Table }> {
  const selection = {
    ...(ask.features ? { features: ask.features } : {}),
    ...(ask.featureService ? { featureService: ask.featureService } : {}),
    fullFeatureNames: ask.fullFeatureNames ?? false,
  };
  const job = await store.getHistoricalFeatures({ entityDf: ask.entityRows, ...selection });
  const [all, feast] = await Promise.all([
    Promise.all(PLANS.map((plan) => job.toArrow({ plan }))),
    feastHistorical({ repoPath, entityRows: ask.entityRows, ...selection }),
  ]);
  return { ours: all[PLANS.indexOf('auto')]!, all, feast };
}

/** Same columns in the same order, same rows (Feast's come in no particular order), same cells: every plan. */
function expectSameCells(ours: Table | Table[], feast: Table, keys: string[]): void {
  for (const [i, table] of (Array.isArray(ours) ? ours : [ours]).entries()) {
    const plan = Array.isArray(ours) ? PLANS[i] : 'auto';
    expect(
      table.schema.fields.map((f) => f.name),
      `plan ${plan}`,
    ).toEqual(feast.schema.fields.map((f) => f.name));
    expect(table.numRows, `plan ${plan}`).toBe(feast.numRows);
    expect(sortRows(tableRows(table), keys), `plan ${plan}`).toEqual(sortRows(tableRows(feast), keys));
  }
}

const driverViews = [
  'driver_stats:conv_rate',
  'driver_stats:acc_rate',
  'driver_stats:trips',
  'driver_stats:note',
  'driver_stats_no_ttl:conv_rate',
  'driver_stats_no_ttl:trips',
  'mapped_stats:rating',
  'global_stats:total_rides',
];

// The first request also starts Feast Python (seconds of imports on a busy machine).
describe('the same answers as Feast Python', { timeout: 180_000 }, () => {
  it('edge cases: ties, exact and TTL-boundary timestamps, nulls, query sources, field mapping, no entities', async () => {
    const rows = entityRowsForEdgeCases().filter(
      (r) => r.k1 === 'none' && !FEAST_WRONG_DRIVERS.has(r.driver_id),
    );
    const { ours, all, feast } = await both({
      entityRows: entityColumns(rows, ['driver_id', 'event_timestamp']),
      features: driverViews,
      fullFeatureNames: true,
    });
    expectSameCells(all, feast, ['driver_id', 'event_timestamp']);
    // Not vacuous: most cells hold values.
    expect(
      ours.getChild('driver_stats__trips')!.length - ours.getChild('driver_stats__trips')!.nullCount,
    ).toBeGreaterThan(5);
  });

  it.each([
    [1, 400],
    [2, 1500],
  ])('seeded random entity rows (seed %i, %i rows) over four views, keys of two types', async (seed, n) => {
    const rows = randomEntityRows(seed, n);
    const { ours, all, feast } = await both({
      entityRows: entityColumns(rows),
      features: [...driverViews, 'pair_stats:score', 'pair_stats:label'],
      fullFeatureNames: true,
    });
    expectSameCells(all, feast, ['driver_id', 'k1', 'k2', 'event_timestamp']);
    const filled = ours.getChild('driver_stats__conv_rate')!;
    expect(filled.length - filled.nullCount).toBeGreaterThan(n / 10);
  });

  it("lookups in key order (toArrow's option) give the same table, in the same order", async () => {
    const rows = randomEntityRows(5, 1200);
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(rows),
      features: [...driverViews, 'pair_stats:score', 'pair_stats:label'],
      fullFeatureNames: true,
    });
    const [inEntityOrder, inKeyOrder] = [await job.toArrow(), await job.toArrow({ lookupOrder: 'keys' })];
    expect(inKeyOrder.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual(
      inEntityOrder.schema.fields.map((f) => `${f.name}: ${f.type}`),
    );
    expect(tableRows(inKeyOrder)).toEqual(tableRows(inEntityOrder));
    // stream() under every plan: the same rows, in entity order, batch by batch.
    for (const plan of PLANS) {
      const streamed: Array<Record<string, unknown>> = [];
      for await (const batch of job.stream({ plan, batchRows: 333 })) {
        streamed.push(...batch.toArray().map((r) => ({ ...(r.toJSON() as Record<string, unknown>) })));
      }
      expect(streamed, `stream, plan ${plan}`).toEqual(tableRows(inEntityOrder));
    }
    expect(job.toSQL({ lookupOrder: 'keys' })).toMatch(/ORDER BY "driver_id", "event_timestamp"\) AS e/);
    expect(job.toSQL()).not.toMatch(/ORDER BY "driver_id"/);
  });

  it('short feature names, and the output order of columns', async () => {
    const rows = randomEntityRows(3, 200);
    const { ours, all, feast } = await both({
      entityRows: entityColumns(rows, ['event_timestamp', 'driver_id']),
      features: ['driver_stats:trips', 'mapped_stats:rating', 'driver_stats:conv_rate'],
    });
    expectSameCells(all, feast, ['driver_id', 'event_timestamp']);
    expect(ours.schema.fields.map((f) => f.name)).toEqual([
      'event_timestamp',
      'driver_id',
      'trips',
      'conv_rate',
      'rating',
    ]);
  });

  it('feature services: projections, aliases and join key maps', async () => {
    const rows = randomEntityRows(4, 300).filter((r) => !FEAST_WRONG_DRIVERS.has(r.driver_id));
    const training = await both({ entityRows: entityColumns(rows), featureService: 'training_v1' });
    expectSameCells(training.all, training.feast, ['driver_id', 'k1', 'k2', 'event_timestamp']);
    const aliased = await both({
      entityRows: entityColumns(rows, ['driver_id', 'event_timestamp']),
      featureService: 'aliased',
      fullFeatureNames: true,
    });
    expectSameCells(aliased.all, aliased.feast, ['driver_id', 'event_timestamp']);
    expect(aliased.ours.schema.fields.map((f) => f.name)).toContain('drv_alias__conv_rate');
    const mapped = {
      other_driver_id: rows.map((r) => r.driver_id),
      event_timestamp: rows.map((r) => r.event_timestamp),
    };
    const joined = await both({ entityRows: mapped, featureService: 'join_mapped' });
    expectSameCells(joined.all, joined.feast, ['other_driver_id', 'event_timestamp']);
  });

  it('a SQL entity frame, naive timestamps in it, equals Feast with the same SQL', async () => {
    const sql =
      "SELECT driver_id, (event_timestamp AT TIME ZONE 'UTC') AS event_timestamp FROM off_driver_entities WHERE driver_id NOT IN (8, 9)";
    const features = ['driver_stats:trips', 'driver_stats:note', 'mapped_stats:rating'];
    const job = await store.getHistoricalFeatures({ entityDf: sql, features });
    const [all, feast] = await Promise.all([
      Promise.all(PLANS.map((plan) => job.toArrow({ plan }))),
      feastHistorical({ repoPath, entitySql: sql, features }),
    ]);
    expectSameCells(all, feast, ['driver_id', 'event_timestamp']);
    const ours = all[0]!;
    expect(ours.numRows).toBeGreaterThan(5);
  });
});

describe('where Feast 0.67 is wrong, we are right', { timeout: 180_000 }, () => {
  const at = (row: OfflineEntityRow) => ({
    driver_id: [row.driver_id],
    event_timestamp: [row.event_timestamp],
  });

  it('composite keys: Feast concatenates ("1","23") and ("12","3") into one row id; we keep them apart', async () => {
    const rows = entityRowsForEdgeCases().filter((r) => r.k1 !== 'none');
    const { all, feast } = await both({
      entityRows: entityColumns(rows, ['k1', 'k2', 'event_timestamp']),
      features: ['pair_stats:score', 'pair_stats:label'],
    });
    const scores = (table: Table) => {
      const out: Record<string, unknown[]> = {};
      for (const row of tableRows(table)) {
        const pair = `${String(row.k1)}|${String(row.k2)}`;
        out[pair] = [...(out[pair] ?? []), row.score];
      }
      return out;
    };
    // Ours, under every plan: one row per entity row, each pair its own value (null when the pair has no rows).
    for (const [i, ours] of all.entries()) {
      expect(ours.numRows, `plan ${PLANS[i]}`).toBe(rows.length);
      expect(scores(ours), `plan ${PLANS[i]}`).toEqual({
        '1|23': [1.23],
        '12|3': [12.3],
        '2|34': [2.34],
        '23|4': [23.4],
        '3|45': [3.45],
        '34|5': [null],
        'a|b': [0.5],
        'a|c': [null],
      });
    }
    // Feast: ("1","23") takes ("12","3")'s value, ("2","34")/("23","4") come back twice, ("34","5") takes ("3","45")'s.
    const theirs = scores(feast);
    expect(theirs['1|23']).toEqual([12.3]);
    expect(theirs['2|34']).toHaveLength(2);
    expect(theirs['34|5']).toEqual([3.45]);
  });

  it('exactly tied event and created timestamps: Feast returns the entity row twice; we return it once', async () => {
    const row = entityRowsForEdgeCases().find((r) => r.driver_id === 8)!;
    const { all, feast } = await both({ entityRows: at(row), features: ['driver_stats:trips'] });
    expect(feast.numRows).toBe(2);
    for (const ours of all) {
      expect(ours.numRows).toBe(1);
      // Either twin is a right answer: nothing orders them.
      expect([801n, 802n]).toContain(ours.getChild('trips')!.get(0));
    }
  });

  it('a null created timestamp: Feast drops the row (its dedup joins on created); we rank it last among ties', async () => {
    const row = entityRowsForEdgeCases().find((r) => r.driver_id === 9)!;
    const { all, feast } = await both({ entityRows: at(row), features: ['driver_stats:trips'] });
    expect(feast.getChild('trips')!.get(0)).toBe(901n);
    // The latest event is the 902 row; a missing created timestamp does not make it disappear (every plan).
    for (const ours of all) expect(ours.getChild('trips')!.get(0)).toBe(902n);
  });
});
