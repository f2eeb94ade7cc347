// The feature server calls we make, typed from the captured spec (openapi/feast-feature-server.json) with
// nothing cast away: fields the server fills in by default are optional, the others required, and an answer
// read as text is a string. One block per generated call FeatureServerClient makes.
import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '../../src/generated/feature-server';
import {
  FeatureServerClient,
  type GetOnlineFeaturesBody,
  type OnlineFeaturesResponse,
} from '../../src/online/feature-server';
import type { OnlineFeaturesResult } from '../../src/online/result';
import type { RegistrySnapshot } from '../../src/registry/registry';

type Schemas = components['schemas'];
const client = new FeatureServerClient({ url: 'http://127.0.0.1:6566' });
const df = { driver_id: [1001], conv_rate: [0.5] };

describe('POST /get-online-features', () => {
  it('takes entities alone: features, names and metadata flags have server defaults', () => {
    expectTypeOf<{ entities: { driver_id: number[] } }>().toExtend<GetOnlineFeaturesBody>();
    expectTypeOf<{ features: string[] }>().not.toExtend<GetOnlineFeaturesBody>();
    expectTypeOf<GetOnlineFeaturesBody>().toEqualTypeOf<Schemas['GetOnlineFeaturesRequest']>();
  });

  it('answers a string when read as text, the typed response otherwise', () => {
    const asText = () =>
      client.http.post('/get-online-features', {
        body: { entities: { driver_id: [1001] }, features: ['driver_hourly_stats:conv_rate'] },
        parseAs: 'text',
      });
    expectTypeOf(asText).returns.resolves.toEqualTypeOf<string>();
    const asJson = () => client.http.post('/get-online-features', { body: { entities: {} } });
    expectTypeOf(asJson).returns.resolves.toEqualTypeOf<OnlineFeaturesResponse>();
    expectTypeOf<OnlineFeaturesResponse['results']>().toEqualTypeOf<
      Schemas['FeatureVectorResponse'][] | undefined
    >();
  });

  it('is what getOnlineFeatures calls, resolving to a result', () => {
    expectTypeOf(client.getOnlineFeatures).parameter(0).toEqualTypeOf<RegistrySnapshot>();
    expectTypeOf(client.getOnlineFeatures).returns.resolves.toEqualTypeOf<OnlineFeaturesResult>();
  });
});

describe('POST /push', () => {
  it('needs the push source and the rows; where to is optional', () => {
    expectTypeOf({ push_source_name: 'driver_stats_push', df }).toExtend<Schemas['PushFeaturesRequest']>();
    expectTypeOf<{ df: typeof df }>().not.toExtend<Schemas['PushFeaturesRequest']>();
    const call = () =>
      client.http.post('/push', { body: { push_source_name: 's', df, to: 'online' }, parseAs: 'text' });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(client.push).returns.resolves.toEqualTypeOf<void>();
  });
});

describe('POST /write-to-online-store', () => {
  it('needs the view and the rows', () => {
    expectTypeOf({ feature_view_name: 'v', df }).toExtend<Schemas['WriteToFeatureStoreRequest']>();
    expectTypeOf<{ df: typeof df }>().not.toExtend<Schemas['WriteToFeatureStoreRequest']>();
    const call = () =>
      client.http.post('/write-to-online-store', {
        body: { feature_view_name: 'v', df },
        parseAs: 'text',
      });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(client.writeToOnlineStore).returns.resolves.toEqualTypeOf<void>();
  });
});

describe('POST /materialize', () => {
  it('takes a window and optional views; every field has a default', () => {
    expectTypeOf({
      start_ts: '2026-01-01T00:00:00Z',
      end_ts: '2026-01-02T00:00:00Z',
    }).toExtend<Schemas['MaterializeRequest']>();
    expectTypeOf({}).toExtend<Schemas['MaterializeRequest']>();
    const call = () => client.http.post('/materialize', { body: { feature_views: ['v'] }, parseAs: 'text' });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(client.materialize).returns.resolves.toEqualTypeOf<void>();
  });
});

describe('POST /materialize-incremental', () => {
  it('needs the end', () => {
    expectTypeOf({ end_ts: '2026-01-02T00:00:00Z' }).toExtend<Schemas['MaterializeIncrementalRequest']>();
    expectTypeOf({}).not.toExtend<Schemas['MaterializeIncrementalRequest']>();
    const call = () =>
      client.http.post('/materialize-incremental', { body: { end_ts: 'e' }, parseAs: 'text' });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<string>();
    expectTypeOf(client.materializeIncremental).returns.resolves.toEqualTypeOf<void>();
  });
});
