// The hook `mlops feast codegen` plugs into besides FeastFeatureTypes: FeastCodegenOptions.strictFeatureRefs.
// Nothing in this workspace declares it (a declaration would hold for every file of the program), so here the
// defaults are pinned: any reference is accepted and requests typed as OnlineFeaturesRequest still compile.
// With the flag declared, misspelt literals fail to compile: @mlops/platform's test/cli-codegen.test.ts runs
// tsc on a generated module and fixtures, in a program of their own.
import { describe, expectTypeOf, it } from 'vitest';
import type { FeastValue } from '../../src/codec/value';
import { FeatureStore, type HistoricalFeaturesRequest } from '../../src/feature-store';
import type { HistoricalRetrievalJob } from '../../src/offline/historical';
import type { CheckedFeatureRefs, KnownFeatureRef, OnlineFeaturesResult } from '../../src/online/result';
import type { OnlineFeaturesRequest } from '../../src/selection/selection';

const store = new FeatureStore({ repoPath: 'platform/feast' });

describe('without strictFeatureRefs (no codegen, or --no-strict)', () => {
  it('any reference is known, and a list of them is checked as any string', () => {
    expectTypeOf<KnownFeatureRef>().toEqualTypeOf<string>();
    expectTypeOf<CheckedFeatureRefs<string[]>>().toEqualTypeOf<unknown>();
    expectTypeOf<CheckedFeatureRefs<readonly ['a:b']>>().toEqualTypeOf<readonly string[]>();
  });

  it('a literal reference no codegen knows still types its column (FeastValue)', async () => {
    const result = await store.getOnlineFeatures({
      features: ['anything:at_all'],
      entityRows: [{ id: 1 }],
    });
    expectTypeOf(result.columns.at_all.values).toEqualTypeOf<FeastValue[]>();
  });

  it('requests typed as the request interfaces take the open overloads', async () => {
    const request: OnlineFeaturesRequest = { featureService: 'driver_activity', entityRows: [] };
    expectTypeOf(await store.getOnlineFeatures(request)).toEqualTypeOf<OnlineFeaturesResult>();
    const historical: HistoricalFeaturesRequest = {
      features: ['driver_hourly_stats:conv_rate'],
      entityDf: 'SELECT 1',
    };
    expectTypeOf(await store.getHistoricalFeatures(historical)).toEqualTypeOf<HistoricalRetrievalJob>();
  });
});
