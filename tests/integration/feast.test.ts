import { createHttpClient } from '@mlops/core';
import { nodeHttpFetch } from '@mlops/feast/registry';
import { describe, expect, it } from 'vitest';
import type { paths as FeatureServer } from '../../packages/feast/src/generated/feature-server';
import type { paths as RegistryServer } from '../../packages/feast/test/generated/registry-server';
import { needs, pins, schemaValidator, url } from './support/platform';

const featureServer = createHttpClient<FeatureServer>({
  service: 'feast-server',
  baseUrl: url('FEAST_SERVER_PORT'),
  // fetch refuses port 6566 (a "bad port"); @mlops/feast's node:http fetch does not.
  fetch: nodeHttpFetch(),
});
const registry = createHttpClient<RegistryServer>({
  service: 'feast-registry',
  baseUrl: `${url('FEAST_REGISTRY_REST_PORT')}/api/v1`,
});
const validFeatureServer = schemaValidator('feast-feature-server.json');
const validRegistry = schemaValidator('feast-registry-server.json');

describe('Feast feature server', () => {
  it('is healthy', async () => {
    const response = await needs('feast', () => featureServer.fetch('/health'));
    expect(response.status).toBe(200);
  });

  it('serves materialized features in the shape its captured schema describes', async () => {
    const body = await needs('feast', () =>
      featureServer.post('/get-online-features', {
        body: {
          features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
          entities: { driver_id: [1001, 1002, 999_999] },
          full_feature_names: true,
          include_feature_view_version_metadata: false,
        },
        idempotent: true,
      }),
    );
    expect(validFeatureServer('OnlineFeaturesResponse', body)).toEqual([]);
    const response = body as {
      metadata: { feature_names: string[] };
      results: Array<{ values: unknown[]; statuses: string[] }>;
    };
    // Join keys first; a view's features follow in Python set order, which changes from one server process
    // to the next, so columns are looked up by name.
    expect(response.metadata.feature_names[0]).toBe('driver_id');
    expect([...response.metadata.feature_names].sort()).toEqual([
      'driver_hourly_stats__avg_daily_trips',
      'driver_hourly_stats__conv_rate',
      'driver_id',
    ]);
    const conv = response.results[response.metadata.feature_names.indexOf('driver_hourly_stats__conv_rate')]!;
    expect(conv.statuses.slice(0, 2)).toEqual(['PRESENT', 'PRESENT']);
    expect(typeof conv.values[0]).toBe('number');
    // An entity with no row: Feast 0.67's server answers null with status PRESENT and a 1970 timestamp
    // (recorded here as the reference's behaviour; @mlops/feast reports NOT_FOUND).
    expect(conv.values[2]).toBeNull();
  });
});

describe('Feast registry server', () => {
  it('lists the applied entities, as its captured schema describes them', async () => {
    const body = await needs('feast', () =>
      registry.get('/entities', { params: { query: { project: 'mlops_demo' } } }),
    );
    expect(validRegistry('ListEntitiesResponse', body).filter((e) => !e.includes('has no schema'))).toEqual(
      [],
    );
    const names = JSON.stringify(body);
    expect(names).toContain('driver');
    expect(names).toContain('customer');
  });

  it('serves the pinned Feast version', async () => {
    const body = await needs('feast', () => registry.get('/version'));
    expect(JSON.stringify(body)).toContain(pins.FEAST_VERSION!);
  });
});
