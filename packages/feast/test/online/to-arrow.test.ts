import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store';
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
