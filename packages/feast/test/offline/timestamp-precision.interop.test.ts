// Entity timestamps keep their microseconds in every form an entity frame takes them (ISO strings in row objects
// and in columns, bigint µs, Temporal.Instant, Arrow timestamp[us] and [ns], Dates where a millisecond is
// enough), checked at the µs boundaries of the off_driver_stats fixture (support.ts): an event exactly at the
// entity timestamp, 1 µs after it, the TTL (2 hours) boundary exactly and 1 µs past it. Each answer is compared
// with the brute-force truth worked out here and with Feast Python's get_historical_features.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Int64, makeData, Table, TimestampMicrosecond, TimestampNanosecond, Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import type { EntityDf } from '../../src/offline/entity-df';
import type { PointInTimePlan } from '../../src/offline/plan-choice';
import { rejection } from '../support/rejection';
import {
  edgeEntityTimestamp,
  feastHistorical,
  isoMicros,
  micros,
  offlineDataset,
  setupOfflineRepo,
} from './support';

const E = micros(edgeEntityTimestamp);
const TTL = 2n * 3_600_000_000n; // driver_stats' TTL, µs

/** [driver, µs from E]: the boundary cases of the fixture's drivers 2, 3 and 4. */
const CASES: Array<[number, bigint, string]> = [
  [2, 0n, 'event == entity timestamp'],
  [2, 1n, 'an event 1 µs after the entity timestamp counts only from then'],
  [2, -1n, 'entity timestamp 1 µs before an event'],
  [3, 0n, 'exactly the TTL after the event'],
  [3, 1n, 'the TTL + 1 µs after the event'],
  [4, -1n, 'exactly the TTL (event at E − TTL − 1 µs)'],
  [4, 0n, 'the TTL + 1 µs (event at E − TTL − 1 µs)'],
];
const drivers = CASES.map(([d]) => d);
const stamps = CASES.map(([, offset]) => E + offset);

/** The truth: the latest driver_stats row at or before the time and within the TTL (latest created on ties). */
function bruteForce(driver: number, at: bigint): bigint | null {
  let best: { event: bigint; created: bigint; trips: bigint | null } | undefined;
  for (const row of offlineDataset().driverStats) {
    if (row.driver_id !== driver || row.event_timestamp > at || row.event_timestamp < at - TTL) continue;
    const created = row.created ?? -(2n ** 62n);
    if (
      !best ||
      row.event_timestamp > best.event ||
      (row.event_timestamp === best.event && created > best.created)
    )
      best = { event: row.event_timestamp, created, trips: row.trips };
  }
  return best ? best.trips : null;
}
const truth = CASES.map(([driver], i) => bruteForce(driver, stamps[i]!));

function temporalInstant(text: string): { epochNanoseconds: bigint } {
  const existing = (globalThis as { Temporal?: unknown }).Temporal;
  setFlagsFromString('--harmony-temporal');
  const T = (existing ?? runInNewContext('Temporal')) as {
    Instant: { from(t: string): { epochNanoseconds: bigint } };
  };
  return T.Instant.from(text);
}

function arrowFrame(unit: 'us' | 'ns'): Table {
  const raw = BigInt64Array.from(stamps.map((us) => (unit === 'us' ? us : us * 1000n + 999n)));
  const type = unit === 'us' ? new TimestampMicrosecond('UTC') : new TimestampNanosecond('UTC');
  return new Table({
    driver_id: new Vector([makeData({ type: new Int64(), data: BigInt64Array.from(drivers.map(BigInt)) })]),
    event_timestamp: new Vector([makeData({ type, data: raw })]),
  });
}

const FORMS: Array<[string, () => EntityDf]> = [
  [
    'ISO strings (Z) in row objects',
    () => drivers.map((d, i) => ({ driver_id: d, event_timestamp: isoMicros(stamps[i]!) })),
  ],
  [
    'ISO strings with an offset, in columns',
    () => ({
      driver_id: drivers,
      // 13:00:00.000001+01:00 is 12:00:00.000001Z
      event_timestamp: stamps.map((us) => isoMicros(us + 3_600_000_000n).replace(/Z$/, '+01:00')),
    }),
  ],
  [
    'ISO strings with nanoseconds (cut to the µs)',
    () => ({ driver_id: drivers, event_timestamp: stamps.map((us) => isoMicros(us).replace(/Z$/, '999Z')) }),
  ],
  ['bigint µs in columns', () => ({ driver_id: drivers, event_timestamp: stamps })],
  [
    'Temporal.Instant in row objects',
    () => drivers.map((d, i) => ({ driver_id: d, event_timestamp: temporalInstant(isoMicros(stamps[i]!)) })),
  ],
  ['an Arrow timestamp[us] column', () => arrowFrame('us')],
  ['an Arrow timestamp[ns] column (nanoseconds floored)', () => arrowFrame('ns')],
];

/** Every join plan, forced, and 'auto'. */
const PLANS: readonly PointInTimePlan[] = ['lookup', 'lookup-keys', 'arrays', 'auto'];

let store: FeatureStore;
let repoPath: string;
beforeAll(async () => {
  ({ repoPath } = await setupOfflineRepo());
  store = new FeatureStore({ repoPath });
}, 600_000);
afterAll(() => store?.close());

/** A column's values with its nulls (toArray() of an Int64 column shows a null as 0n). */
function values(table: Table, name: string): unknown[] {
  const column = table.getChild(name)!;
  return Array.from({ length: column.length }, (_, i) => column.get(i) as unknown);
}

async function trips(entityDf: EntityDf, plan: PointInTimePlan = 'auto'): Promise<unknown[]> {
  const table = await (
    await store.getHistoricalFeatures({ entityDf, features: ['driver_stats:trips'] })
  ).toArrow({ plan });
  // The entity timestamps come back as they went in, to the microsecond.
  const column = table.getChild('event_timestamp')!;
  const back = column.data.flatMap((d) => Array.from(d.values as BigInt64Array).slice(0, d.length));
  expect(back).toEqual(stamps);
  return values(table, 'trips');
}

describe('entity timestamps keep their microseconds', { timeout: 180_000 }, () => {
  it('the truth is what the fixture says, and not what a millisecond clock says', () => {
    expect(truth).toEqual([9_007_199_254_740_993n, 300n, 100n, 3n, null, 4n, null]);
    // Cut to the millisecond (what Date.parse did to these strings), two of the seven answers change.
    const cut = CASES.map(([driver], i) => bruteForce(driver, (stamps[i]! / 1000n) * 1000n));
    expect(cut.filter((v, i) => v !== truth[i])).toHaveLength(2);
  });

  it.each(FORMS)('%s: the brute-force answer at every boundary, under every plan', async (_form, frame) => {
    for (const plan of PLANS) expect(await trips(frame(), plan), `plan ${plan}`).toEqual(truth);
  });

  it('Dates, where a millisecond is all they hold: the same as the µs forms', async () => {
    const whole = CASES.map((_, i) => i).filter((i) => stamps[i]! % 1000n === 0n);
    const table = await (
      await store.getHistoricalFeatures({
        entityDf: whole.map((i) => ({
          driver_id: drivers[i]!,
          event_timestamp: new Date(Number(stamps[i]! / 1000n)),
        })),
        features: ['driver_stats:trips'],
      })
    ).toArrow();
    expect(values(table, 'trips')).toEqual(whole.map((i) => truth[i]));
  });

  it('Feast Python answers the same for the same strings', async () => {
    const feast = await feastHistorical({
      repoPath,
      entityRows: { driver_id: drivers, event_timestamp: stamps.map((us) => isoMicros(us)) },
      entityTypes: { event_timestamp: 'timestamp' },
      features: ['driver_stats:trips'],
    });
    const byCase = new Map<string, unknown>();
    const ts = feast.getChild('event_timestamp')!;
    const feastTrips = feast.getChild('trips')!;
    const feastDrivers = feast.getChild('driver_id')!;
    const raw = ts.data.flatMap((d) => Array.from(d.values as BigInt64Array).slice(0, d.length));
    const unit = String(ts.type).includes('NANOSECOND') || String(ts.type).includes('ns') ? 1000n : 1n;
    for (let row = 0; row < feast.numRows; row++) {
      byCase.set(`${feastDrivers.get(row)}@${raw[row]! / unit}`, feastTrips.get(row));
    }
    expect(CASES.map(([driver], i) => byCase.get(`${driver}@${stamps[i]}`) ?? null)).toEqual(truth);
  });

  it('a string without a zone is refused, naming the row and what to give', async () => {
    const error = await rejection(
      store.getHistoricalFeatures({
        entityDf: [
          { driver_id: 2, event_timestamp: isoMicros(E) },
          { driver_id: 2, event_timestamp: isoMicros(E, true) },
        ],
        features: ['driver_stats:trips'],
      }),
    );
    expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(
      /^Entity column event_timestamp, row 1: the string "2026-02-01T12:00:00\.000000" has no time zone, so it names no instant; add Z \(UTC\) or an offset such as \+02:00; give a Date/,
    );
  });
});
