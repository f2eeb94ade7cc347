import { afterAll, describe, expect, it } from 'vitest';
import type { FeastValue } from '../../src/codec/value';
import { ValueType } from '../../src/codec/value-type';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { OnlineFeaturesResult } from '../../src/online/result';
import { feastRepo } from '../support/platform';

const store = new FeatureStore({ repoPath: feastRepo });
afterAll(() => store.close());

describe('OnlineFeaturesResult', () => {
  it('converts to an Arrow table typed from the registry, and to rows, objects and a dict', async () => {
    const view = await store.getFeatureView('driver_all_types');
    const result = await store.getOnlineFeatures({
      features: view.features.map((f) => `driver_all_types:${f.name}`),
      entities: { driver_id: [1001n, 424_242n] },
    });
    const table = await result.toArrow();
    expect(table.numRows).toBe(2);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      driver_id: 'Int64',
      int32_val: 'Int32',
      int64_val: 'Int64',
      float32_val: 'Float32',
      float64_val: 'Float64',
      string_val: 'Utf8',
      bytes_val: 'Binary',
      bool_val: 'Bool',
      unix_timestamp_val: 'Timestamp<MILLISECOND, UTC>',
      int64_list_val: 'List<Int64>',
      string_list_val: 'List<Utf8>',
    });
    const first = table.get(0)!.toJSON() as Record<string, unknown>;
    expect(first.int64_val).toBe(result.columns.int64_val!.values[0]);
    expect(first.string_val).toBe(result.columns.string_val!.values[0]);
    expect(table.get(1)!.toJSON().int64_val).toBeNull();

    expect(result.toRows()[0]).toEqual(result.featureNames.map((n) => result.columns[n]!.values[0]));
    expect(result.toObjects()[1]).toMatchObject({ driver_id: 424_242n, int64_val: null });
    expect(Object.keys(result.toDict())).toEqual(result.featureNames);
  });
});

describe('join keys in every accepted form become the Arrow type of their key', () => {
  it('the README request: entityRows with a number id, straight from Redis and through the feature server', async () => {
    for (const online of ['redis', 'http'] as const) {
      const viaStore = online === 'redis' ? store : new FeatureStore({ repoPath: feastRepo, online });
      try {
        const result = await viaStore.getOnlineFeatures({
          features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
          entityRows: [{ driver_id: 1001 }, { driver_id: 1002n }],
        });
        const table = await result.toArrow();
        expect(String(table.schema.fields[0]!.type)).toBe('Int64');
        expect([table.get(0)!.toJSON().driver_id, table.get(1)!.toJSON().driver_id]).toEqual([1001n, 1002n]);
        // toObjects keeps the request's values as given.
        expect(result.toObjects()[0]!.driver_id).toBe(1001);
      } finally {
        if (viaStore !== store) await viaStore.close();
      }
    }
  });

  it('a string key (customer_id) and a composite key (driver_id × customer_id)', async () => {
    const result = await store.getOnlineFeatures({
      features: ['driver_customer_stats:trips_together'],
      entityRows: [{ driver_id: 1001, customer_id: 'C001' }],
    });
    const row = (await result.toArrow()).get(0)!.toJSON();
    expect(row).toMatchObject({ driver_id: 1001n, customer_id: 'C001' });
  });

  it.each([
    ['INT64', ValueType.INT64, [1001, 1002n, -(2 ** 53) + 1], 'Int64', [1001n, 1002n, -(2n ** 53n) + 1n]],
    ['INT32', ValueType.INT32, [7, 8n, -(2 ** 31)], 'Int32', [7, 8, -(2 ** 31)]],
    ['STRING', ValueType.STRING, ['a', 'ü✓', ''], 'Utf8', ['a', 'ü✓', '']],
    [
      'BYTES',
      ValueType.BYTES,
      [new Uint8Array([1]), new Uint8Array([]), new Uint8Array([255, 0])],
      'Binary',
      [new Uint8Array([1]), new Uint8Array([]), new Uint8Array([255, 0])],
    ],
    [
      'UNIX_TIMESTAMP',
      ValueType.UNIX_TIMESTAMP,
      [new Date('2026-01-01T00:00:00Z'), 1_767_225_601, 1_767_225_602n],
      'Timestamp<MILLISECOND, UTC>',
      [1_767_225_600_000, 1_767_225_601_000, 1_767_225_602_000],
    ],
  ])('%s keys', async (_name, valueType, given, arrowType, expected) => {
    const result = new OnlineFeaturesResult(
      ['k'],
      {
        k: {
          values: given as FeastValue[],
          statuses: ['PRESENT', 'PRESENT', 'PRESENT'],
          eventTimestamps: [null, null, null],
        },
      },
      3,
      { k: valueType },
    );
    const table = await result.toArrow();
    expect(String(table.schema.fields[0]!.type)).toBe(arrowType);
    const column = table.getChild('k')!;
    expect(Array.from({ length: 3 }, (_, i) => column.get(i) as unknown)).toEqual(expected);
  });

  it('a number that is not an exact int64 is refused before Redis is asked, saying what to pass', async () => {
    for (const [bad, words] of [
      [1001.5, /INT64 needs a bigint or a safe integer in the int64 range, got the number 1001\.5/],
      [2 ** 53 + 2, /INT64 got 9007199254740994, beyond 2\^53 where numbers are rounded; pass a bigint/],
    ] as const) {
      const error = await store
        .getOnlineFeatures({ features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: bad }] })
        .catch((e: unknown) => e as Error);
      expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(words);
    }
  });
});
