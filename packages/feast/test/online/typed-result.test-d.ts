// Results typed by what was asked: a literal list of "view:feature" references gives `columns` and `toObjects()`
// keyed by their output names (join keys included), an unknown name is a type error, and value types come from
// FeastFeatureTypes where a registry codegen filled it in (else FeastValue). noUncheckedIndexedAccess is on.
import { describe, expectTypeOf, it } from 'vitest';
import type { FeastValue } from '../../src/codec/value';
import { FeatureStore } from '../../src/feature-store';
import type { FeatureColumn, OnlineFeaturesResult } from '../../src/online/result';

// What `mlops feast codegen` would write for a view (a name no other test uses, so nothing else changes).
declare module '../../src/online/result' {
  interface FeastFeatureTypes {
    'typed_view:score': number;
    'typed_view:trips': bigint;
  }
}

const store = new FeatureStore({ repoPath: 'platform/feast' });

describe('getOnlineFeatures with literal feature references', () => {
  it('names the columns and rows after the request', async () => {
    const result = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
      entityRows: [{ driver_id: 1001 }],
    });
    expectTypeOf(result.columns.conv_rate).toEqualTypeOf<FeatureColumn<FeastValue>>();
    expectTypeOf(result.columns.driver_id.values).toEqualTypeOf<FeastValue[]>();
    // @ts-expect-error: not asked for
    result.columns.acc_rate;
    const [row] = result.toObjects();
    expectTypeOf(row).toEqualTypeOf<
      ({ driver_id: FeastValue } & { conv_rate: FeastValue; avg_daily_trips: FeastValue }) | undefined
    >();
    expectTypeOf(result.toDict().avg_daily_trips).toEqualTypeOf<FeastValue[]>();
    expectTypeOf(result.featureNames).toEqualTypeOf<
      ReadonlyArray<'driver_id' | 'conv_rate' | 'avg_daily_trips'>
    >();
  });

  it('full feature names, and columns in the entities form', async () => {
    const result = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: [1001n] },
      fullFeatureNames: true,
    });
    expectTypeOf(result.columns.driver_hourly_stats__conv_rate.values).toEqualTypeOf<FeastValue[]>();
    // @ts-expect-error: the short name is not a column with fullFeatureNames
    result.columns.conv_rate;
  });

  it('value types from FeastFeatureTypes (a registry codegen), FeastValue for the rest', async () => {
    const result = await store.getOnlineFeatures({
      features: ['typed_view:score', 'typed_view:trips', 'driver_hourly_stats:conv_rate'],
      entityRows: [{ driver_id: 1 }],
    });
    expectTypeOf(result.columns.score.values).toEqualTypeOf<Array<number | null>>();
    expectTypeOf(result.columns.trips.values).toEqualTypeOf<Array<bigint | null>>();
    expectTypeOf(result.columns.conv_rate.values).toEqualTypeOf<FeastValue[]>();
  });
});

describe('requests whose names are not literals stay open', () => {
  it('a string[] of references or a feature service: any name, possibly missing', async () => {
    const features: string[] = ['driver_hourly_stats:conv_rate'];
    const open = await store.getOnlineFeatures({ features, entityRows: [{ driver_id: 1001 }] });
    expectTypeOf(open).toEqualTypeOf<OnlineFeaturesResult<Record<string, FeastValue>>>();
    expectTypeOf(open.columns.anything).toEqualTypeOf<FeatureColumn<FeastValue> | undefined>();
    const service = await store.getOnlineFeatures({ featureService: 'driver_activity', entityRows: [] });
    expectTypeOf(service).toEqualTypeOf<OnlineFeaturesResult>();
  });
});
