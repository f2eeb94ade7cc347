// Proves the offline fixture: the seeded off_* tables, the mlops_offline repo and the Python harness give the
// answers worked out by hand below. Where Feast 0.67 is wrong (concatenated-key collisions) the test pins what it
// actually returns, so that the interop tests built on this harness know which cases to set apart.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DriverStatsRow,
  edgeEntityTimestamp,
  entityColumns,
  entityRowsForEdgeCases,
  feastHistorical,
  feastHistoricalResult,
  feastMaterialize,
  feastOnline,
  firstRandomDriver,
  micros,
  type OfflineEntityRow,
  offlineDataset,
  randomEntityRows,
  setupOfflineRepo,
  sortRows,
  tableRows,
} from './support';

type Row = Record<string, unknown>;

let repoPath = '';
beforeAll(async () => {
  ({ repoPath } = await setupOfflineRepo());
}, 300_000);

const E = edgeEntityTimestamp.getTime();
const edge = entityRowsForEdgeCases();
const driverCases = edge.filter((row) => row.k1 === 'none');
const pairCases = edge.filter((row) => row.k1 !== 'none');

/** Output rows grouped by `driver_id@entity time` (Arrow JS gives Timestamp<MICROSECOND> as epoch ms). */
function byDriver(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${String(row.driver_id ?? row.other_driver_id)}@${new Date(row.event_timestamp as number).toISOString()}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return groups;
}
const key = (driver: number, ms = E) => `${driver}@${new Date(ms).toISOString()}`;
const pick = (rows: Row[] | undefined, column: string) => (rows ?? []).map((row) => row[column]);

describe('the Feast Python reference harness over the offline fixture', { timeout: 300_000 }, () => {
  it('driver_stats: tie-break, exact timestamps, TTL boundary, nulls, query source, duplicates', async () => {
    const [table, filteredTable] = await Promise.all([
      feastHistorical({
        repoPath,
        entityRows: entityColumns(driverCases, ['driver_id', 'event_timestamp']),
        features: [
          'driver_stats:conv_rate',
          'driver_stats:acc_rate',
          'driver_stats:trips',
          'driver_stats:note',
        ],
      }),
      feastHistorical({
        repoPath,
        entityRows: entityColumns(driverCases, ['driver_id', 'event_timestamp']),
        features: ['driver_stats:trips'],
        filterByCreatedTimestamp: true,
      }),
    ]);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    // The Arrow types come from the PostgreSQL result columns: the entity timestamp loses its time zone.
    expect(types).toEqual({
      driver_id: 'Int64',
      event_timestamp: 'Timestamp<MICROSECOND>',
      conv_rate: 'Float32',
      acc_rate: 'Float64',
      trips: 'Int64',
      note: 'Utf8',
    });
    const rows = tableRows(table);
    const groups = byDriver(rows);
    // Every entity row comes back once, except driver 8's, which comes back twice (see below).
    expect(rows).toHaveLength(driverCases.length + 1);

    // Driver 1: two rows at the same event_timestamp (E-30min): the one with the larger created wins.
    expect(groups.get(key(1))?.[0]).toMatchObject({
      trips: 20n,
      note: 'rewrite',
      conv_rate: Math.fround(20 / 4096),
      acc_rate: 0.02,
    });
    // The same entity row given twice is answered twice.
    expect(pick(groups.get(key(1)), 'trips')).toEqual([20n, 20n]);
    // Driver 2: the row exactly at the entity timestamp counts (<=), the row one microsecond later does not;
    // Int64 beyond 2^53 comes through exactly.
    expect(pick(groups.get(key(2)), 'trips')).toEqual([9_007_199_254_740_993n]);
    expect(pick(groups.get(key(2)), 'note')).toEqual(['at']);
    // Asked 30 minutes earlier, driver 2 gets its E-1h row.
    expect(pick(groups.get(key(2, E - 30 * 60_000)), 'trips')).toEqual([100n]);
    // Driver 3: a row exactly the TTL (2 h) before is inside (>=). Driver 4: one microsecond more is outside.
    expect(pick(groups.get(key(3)), 'trips')).toEqual([3n]);
    expect(groups.get(key(4))).toEqual([
      { driver_id: 4n, event_timestamp: E, conv_rate: null, acc_rate: null, trips: null, note: null },
    ]);
    // Drivers 5 and 999999 have no rows, driver 7 only rows after E: all features null.
    for (const driver of [5, 7, 999_999]) {
      expect(pick(groups.get(key(driver)), 'trips'), `driver ${driver}`).toEqual([null]);
    }
    // Driver 6: the latest row's nulls are the answer; there is no fallback to the older row's values.
    expect(groups.get(key(6))?.[0]).toMatchObject({
      conv_rate: null,
      acc_rate: null,
      note: null,
      trips: 61n,
    });
    // Driver 8: two rows with identical event_timestamp AND created. Feast keeps both, so the one entity row
    // comes back twice, once with each row's values.
    expect(pick(groups.get(key(8)), 'trips').sort()).toEqual([801n, 802n]);
    // Driver 9: the latest row (E-10min) has a null created. Feast's dedup step joins on created, and NULL
    // never equals NULL, so that row is invisible: the answer is the older row that has a created.
    expect(pick(groups.get(key(9)), 'trips')).toEqual([901n]);
    // Driver 10: the table source sees the trips = -1 row (the query source of driver_stats_no_ttl does not).
    expect(pick(groups.get(key(10)), 'trips')).toEqual([-1n]);
    // Driver 11: a later event_timestamp beats a later created.
    expect(pick(groups.get(key(11)), 'trips')).toEqual([1102n]);
    // Driver 12: created after the entity timestamp is used by default.
    expect(pick(groups.get(key(12)), 'trips')).toEqual([1201n]);

    // With filter_by_created_timestamp, driver 12's only row (created at E+1h) is ignored.
    const filtered = byDriver(tableRows(filteredTable));
    expect(pick(filtered.get(key(12)), 'trips')).toEqual([null]);
    expect(pick(filtered.get(key(1)), 'trips')).toEqual([20n, 20n]);
  });

  it('driver_stats_no_ttl (query source), mapped_stats (field mapping, naive ts), global_stats (no entities)', async () => {
    const rows = tableRows(
      await feastHistorical({
        repoPath,
        entityRows: entityColumns(driverCases, ['driver_id', 'event_timestamp']),
        features: ['driver_stats_no_ttl:trips', 'mapped_stats:rating', 'global_stats:total_rides'],
        fullFeatureNames: true,
      }),
    );
    const groups = byDriver(rows);
    // Driver 8 ties in both driver_stats_no_ttl and mapped_stats (no created column there): 2 x 2 rows.
    expect(rows).toHaveLength(driverCases.length + 3);
    const noTtl = (driver: number, ms = E) => pick(groups.get(key(driver, ms)), 'driver_stats_no_ttl__trips');
    const rating = (driver: number, ms = E) => pick(groups.get(key(driver, ms)), 'mapped_stats__rating');
    // No TTL: driver 4's row (2h + 1us back) is found; rows after E still are not.
    expect(noTtl(4)).toEqual([4n]);
    expect(noTtl(7)).toEqual([null]);
    // The query source leaves out trips < 0: driver 10 falls back to its older row.
    expect(noTtl(10)).toEqual([1000n]);
    // mapped_stats reads drv/src_rating/ts; its naive ts is compared as UTC (the server's TimeZone is UTC).
    expect(rating(1)).toEqual([1.5, 1.5]); // driver 1's entity row is given twice
    expect(rating(2)).toEqual([2]);
    expect(rating(2, E - 30 * 60_000)).toEqual([null]);
    expect(rating(3)).toEqual([3]); // exactly one day (the TTL) back
    expect(rating(4)).toEqual([null]); // one day and a microsecond back
    expect(rating(6)).toEqual([null]);
    expect(rating(8).sort()).toEqual([8.25, 8.25, 8.5, 8.5]);
    expect(noTtl(8).sort()).toEqual([801n, 801n, 802n, 802n]);
    // global_stats: hourly rows, total_rides = 100000 + hours from E.
    expect(pick(groups.get(key(1)), 'global_stats__total_rides')).toEqual([100_000n, 100_000n]);
    expect(pick(groups.get(key(2, E - 30 * 60_000)), 'global_stats__total_rides')).toEqual([99_999n]);
  });

  it('pair_stats: the concatenated row id mixes up ("1","23") and ("12","3") in Feast', async () => {
    const rows = tableRows(
      await feastHistorical({
        repoPath,
        entityRows: entityColumns(pairCases, ['k1', 'k2', 'event_timestamp']),
        features: ['pair_stats:score', 'pair_stats:label'],
      }),
    );
    const byPair = new Map<string, Array<[unknown, unknown]>>();
    for (const row of rows) {
      const pair = `${String(row.k1)}|${String(row.k2)}`;
      byPair.set(pair, [...(byPair.get(pair) ?? []), [row.score, row.label]]);
    }
    for (const list of byPair.values()) list.sort((a, b) => Number(a[0]) - Number(b[0]));
    // Feast identifies an entity row by k1 || k2 || timestamp as text, so these pairs share an id. What Feast
    // ACTUALLY returns (the right answers are in the comments; our implementation gives those):
    // ("1","23") gets ("12","3")'s newer row; right: 1.23 'one|twenty-three'.
    expect(byPair.get('1|23')).toEqual([[12.3, 'twelve|three']]);
    expect(byPair.get('12|3')).toEqual([[12.3, 'twelve|three']]);
    // ("2","34") and ("23","4") have rows at the same time: each entity row comes back twice, once with each
    // pair's values; right: one row each, 2.34 and 23.4.
    expect(byPair.get('2|34')).toEqual([
      [2.34, 'two|thirty-four'],
      [23.4, 'twenty-three|four'],
    ]);
    expect(byPair.get('23|4')).toEqual([
      [2.34, 'two|thirty-four'],
      [23.4, 'twenty-three|four'],
    ]);
    // ("34","5") has no rows but gets ("3","45")'s; right: null.
    expect(byPair.get('3|45')).toEqual([[3.45, 'three|forty-five']]);
    expect(byPair.get('34|5')).toEqual([[3.45, 'three|forty-five']]);
    // Pairs that do not collide are fine.
    expect(byPair.get('a|b')).toEqual([[0.5, 'plain']]);
    expect(byPair.get('a|c')).toEqual([[null, null]]);
    expect(rows).toHaveLength(pairCases.length + 2);
  });

  it('feature services, aliases, join key maps, output column order', async () => {
    const two = edge.slice(0, 3); // driver 1 twice, driver 2
    const [training, aliasedTable, joinedTable] = await Promise.all([
      feastHistoricalResult({
        repoPath,
        entityRows: entityColumns(two, ['k2', 'driver_id', 'k1', 'event_timestamp']),
        featureService: 'training_v1',
      }),
      feastHistorical({
        repoPath,
        entityRows: entityColumns(two, ['driver_id', 'event_timestamp']),
        featureService: 'aliased',
        fullFeatureNames: true,
      }),
      feastHistorical({
        repoPath,
        entityRows: {
          other_driver_id: [1, 2, 4],
          event_timestamp: [edgeEntityTimestamp, edgeEntityTimestamp, edgeEntityTimestamp],
        },
        featureService: 'join_mapped',
      }),
    ]);
    const names = training.table.schema.fields.map((f) => f.name);
    // Entity columns first, in the order given; then the features, view by view.
    expect(names.slice(0, 4)).toEqual(['k2', 'driver_id', 'k1', 'event_timestamp']);
    expect(names.slice(4, 6).sort()).toEqual(['conv_rate', 'trips']);
    expect(names.slice(6).sort()).toEqual(['label', 'score']);
    expect(pick(tableRows(training.table), 'trips').sort()).toEqual([20n, 20n, 9_007_199_254_740_993n]);

    const aliased = tableRows(aliasedTable);
    expect(Object.keys(aliased[0]!)).toEqual(['driver_id', 'event_timestamp', 'drv_alias__conv_rate']);
    expect(pick(aliased, 'drv_alias__conv_rate').sort()).toEqual([0.0048828125, 0.0048828125, 0.625]);

    const joined = tableRows(joinedTable);
    expect(sortRows(joined, ['other_driver_id']).map((row) => [row.other_driver_id, row.acc_rate])).toEqual([
      [1n, 0.02],
      [2n, 0.625],
      [4n, null],
    ]);
  });

  it('entity SQL and naive entity timestamps give the same answers as a UTC DataFrame', async () => {
    const features = ['driver_stats:trips', 'driver_stats:note', 'mapped_stats:rating'];
    const normal = (rows: Row[]) =>
      sortRows(rows, ['driver_id', 'event_timestamp', 'trips', 'rating']).map((row) => [
        row.driver_id,
        row.event_timestamp,
        row.trips,
        row.note,
        row.rating,
      ]);
    const [frame, naiveFrame, sql, naiveSql] = await Promise.all([
      feastHistoricalResult({
        repoPath,
        entityRows: entityColumns(driverCases, ['driver_id', 'event_timestamp']),
        features,
      }),
      // Feast turns a naive DataFrame column into UTC before uploading it (coerce_tz_aware): the same answers.
      feastHistorical({
        repoPath,
        entityRows: entityColumns(driverCases, ['driver_id', 'event_timestamp']),
        timestampTz: false,
        features,
      }),
      feastHistoricalResult({
        repoPath,
        entitySql: 'SELECT driver_id, event_timestamp FROM off_driver_entities',
        features,
        withSql: true,
      }),
      // A naive entity timestamp from SQL stays naive and is compared in the session time zone (UTC here).
      feastHistorical({
        repoPath,
        entitySql:
          "SELECT driver_id, event_timestamp AT TIME ZONE 'UTC' AS event_timestamp FROM off_driver_entities",
        features,
      }),
    ]);
    const expected = normal(tableRows(frame.table));
    expect(expected).toHaveLength(driverCases.length + 3); // driver 8: 2 x 2
    expect(normal(tableRows(naiveFrame))).toEqual(expected);
    expect(normal(tableRows(sql.table))).toEqual(expected);
    expect(normal(tableRows(naiveSql))).toEqual(expected);
    expect(sql.sql).toContain('"driver_stats__entity_row_unique_id"');
    expect(frame.columns.find((c) => c.name === 'event_timestamp')?.type).toBe('timestamp[us]');
  });

  it('entity timestamps given to the microsecond (ISO strings) keep their microseconds', async () => {
    const rows = tableRows(
      await feastHistorical({
        repoPath,
        entityRows: {
          driver_id: [2, 4, 4],
          event_timestamp: [
            '2026-02-01T12:00:00.000001Z', // driver 2's "after" row is exactly here
            '2026-02-01T11:59:59.999999Z', // driver 4's row (E-2h-1us) is exactly the TTL back
            '2026-02-01T13:00:00.000000+01:00', // E, written with an offset: driver 4's row is beyond the TTL
          ],
        },
        entityTypes: { event_timestamp: 'timestamp' },
        features: ['driver_stats:trips'],
      }),
    );
    // Arrow JS hands Timestamp<MICROSECOND> over as (fractional) epoch milliseconds.
    expect(
      sortRows(rows, ['driver_id', 'event_timestamp']).map((row) => [
        row.driver_id,
        row.event_timestamp,
        row.trips,
      ]),
    ).toEqual([
      [2n, E + 0.001, 300n],
      [4n, E - 0.001, 4n],
      [4n, E, null],
    ]);
  });

  it('seeded random entity rows agree with a point-in-time join worked out here for driver_stats', async () => {
    const entities = randomEntityRows(11, 300);
    const table = await feastHistorical({
      repoPath,
      entityRows: entityColumns(entities, ['driver_id', 'event_timestamp']),
      features: ['driver_stats:trips', 'driver_stats:note', 'driver_stats:conv_rate'],
    });
    // The random rows have no exact (event, created) ties and no null created, so every answer is one row.
    const byEntity = new Map<string, DriverStatsRow | undefined>();
    const data = offlineDataset().driverStats.filter((row) => row.driver_id >= firstRandomDriver);
    const ttl = 2n * 3_600_000_000n;
    const expectedFor = (entity: OfflineEntityRow) => {
      const at = micros(entity.event_timestamp);
      let best: DriverStatsRow | undefined;
      for (const row of data) {
        if (row.driver_id !== entity.driver_id || row.event_timestamp > at || row.event_timestamp < at - ttl)
          continue;
        if (
          !best ||
          row.event_timestamp > best.event_timestamp ||
          (row.event_timestamp === best.event_timestamp && row.created! > best.created!)
        )
          best = row;
      }
      return best;
    };
    for (const entity of entities) {
      byEntity.set(`${entity.driver_id}@${entity.event_timestamp.toISOString()}`, expectedFor(entity));
    }
    const rows = tableRows(table);
    expect(rows).toHaveLength(entities.length);
    let found = 0;
    for (const row of rows) {
      const expected = byEntity.get(
        `${String(row.driver_id)}@${new Date(row.event_timestamp as number).toISOString()}`,
      );
      if (expected) found++;
      expect([row.trips, row.note, row.conv_rate]).toEqual([
        expected?.trips ?? null,
        expected?.note ?? null,
        expected?.conv_rate ?? null,
      ]);
    }
    // The random rows must actually exercise the join: many entity rows find a row, some do not.
    expect(found).toBeGreaterThan(entities.length / 3);
    expect(found).toBeLessThan(entities.length);
  });

  it('materialize and online modes: Feast Python materializes mapped_stats and reads it back online', async () => {
    await feastMaterialize({
      repoPath,
      start: new Date(E - 86_400_000),
      end: edgeEntityTimestamp,
      views: ['mapped_stats'],
    });
    const online = tableRows(
      await feastOnline({
        repoPath,
        entityRows: { driver_id: [1, 2, 3, 4, 5] },
        features: ['mapped_stats:rating'],
      }),
    );
    // The window [E-1d, E] is inclusive at both ends: driver 2's row at E and driver 3's at E-1d are in,
    // driver 4's (one microsecond before E-1d) is not.
    expect(online.map((row) => [row.driver_id, row.rating])).toEqual([
      [1n, 1.5],
      [2n, 2],
      [3n, 3],
      [4n, null],
      [5n, null],
    ]);
  });
});
