import { resolve } from 'node:path';
import { DecodeError } from '@mlops/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKey } from '../../src/codec/entity-key';
import { featureFieldName, timestampFieldName } from '../../src/codec/murmur3';
import { encodeTimestamp, timestampFromDate } from '../../src/codec/timestamp';
import { ValueType } from '../../src/codec/value-type';
import { FeastObjectNotFoundError, InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { feastRepo, pins } from '../support/platform';
import { rejection } from '../support/rejection';

const store = new FeatureStore({ repoPath: feastRepo });
const httpStore = new FeatureStore({
  repoPath: feastRepo,
  online: 'http',
  featureServerUrl: `http://127.0.0.1:${pins.FEAST_SERVER_PORT}`,
});
const clusterStore = new FeatureStore({
  repoPath: feastRepo,
  fsYamlFile: resolve(feastRepo, 'redis-cluster/feature_store.yaml'),
});
const redis = new Redis({ host: '127.0.0.1', port: Number(pins.REDIS_PORT) });
afterAll(async () => {
  await Promise.all([store.close(), clusterStore.close(), httpStore.close()]);
  redis.disconnect();
});

describe('getOnlineFeatures statuses (computed)', () => {
  it('reports NOT_FOUND with no timestamp for an entity that was never written', async () => {
    const result = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate'],
      entityRows: [{ driver_id: 1001 }, { driver_id: 424242 }],
    });
    expect(result.columns.conv_rate!.statuses[1]).toBe('NOT_FOUND');
    expect(result.columns.conv_rate!.values[1]).toBeNull();
    expect(result.columns.conv_rate!.eventTimestamps[1]).toBeNull();
    expect(result.toObjects()[1]).toEqual({ driver_id: 424242, conv_rate: null });
  });

  it('reports OUTSIDE_MAX_AGE for values older than the view TTL, and PRESENT within it, on both backends', async () => {
    const view = await store.getFeatureView('driver_hourly_stats');
    const ttlMs = view.ttlSeconds * 1000;
    expect(ttlMs).toBeGreaterThan(0);
    const request = { features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: 1001 }] };
    const written = (await store.getOnlineFeatures(request)).columns.conv_rate!.eventTimestamps[0]!.getTime();
    // "now" is given, so both sides of the TTL are tested on every run, whatever the date of the seed data.
    for (const backend of [store, httpStore]) {
      const at = async (now: number) =>
        (await backend.getOnlineFeatures({ ...request, now: new Date(now) })).columns.conv_rate!;
      const within = await at(written + ttlMs - 1000);
      expect(within.statuses).toEqual(['PRESENT']);
      const outside = await at(written + ttlMs + 1000);
      expect(outside.statuses).toEqual(['OUTSIDE_MAX_AGE']);
      // The value and its timestamp are still given.
      expect(outside.values).toEqual(within.values);
      expect(outside.values[0]).not.toBeNull();
      expect(outside.eventTimestamps[0]!.getTime()).toBe(written);
      // The Feast mode reports what Feast reports, whatever the age.
      const feast = await backend.getOnlineFeatures({
        ...request,
        now: new Date(written + ttlMs + 1000),
        statuses: 'feast',
      });
      expect(feast.columns.conv_rate!.statuses).toEqual(['PRESENT']);
    }
  });

  it('reports NULL_VALUE for a stored null', async () => {
    // A driver of our own, written with an empty Value for conv_rate, as Feast writes None.
    const key = Buffer.from(
      redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 77_000_001n }], 'mlops_demo'),
    );
    await redis.hset(
      key,
      Buffer.from(featureFieldName('driver_hourly_stats', 'conv_rate')),
      Buffer.alloc(0),
      Buffer.from(timestampFieldName('driver_hourly_stats')),
      Buffer.from(encodeTimestamp(timestampFromDate(new Date()))),
    );
    try {
      const result = await store.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate'],
        entities: { driver_id: [77_000_001n] },
      });
      expect(result.columns.conv_rate!.statuses).toEqual(['NULL_VALUE']);
      // acc_rate was never written for this entity, though the view was.
      expect(result.columns.acc_rate!.statuses).toEqual(['NOT_FOUND']);
    } finally {
      await redis.del(key);
    }
  });
});

describe('getOnlineFeatures refuses bad requests before touching Redis', () => {
  it('names an unknown feature view, feature or service', async () => {
    const view = await rejection(
      store.getOnlineFeatures({ features: ['driver_hourly:conv_rate'], entityRows: [{ driver_id: 1 }] }),
    );
    expect(FeastObjectNotFoundError.isInstance(view)).toBe(true);
    expect(view.message).toContain('Did you mean "driver_hourly_stats"?');
    const feature = await rejection(
      store.getOnlineFeatures({ features: ['driver_hourly_stats:conv'], entityRows: [{ driver_id: 1 }] }),
    );
    expect(feature.message).toContain(
      'Feast feature "conv" does not exist in feature view driver_hourly_stats.',
    );
    const service = await rejection(
      store.getOnlineFeatures({ featureService: 'nope', entityRows: [{ driver_id: 1 }] }),
    );
    expect(FeastObjectNotFoundError.isInstance(service)).toBe(true);
  });

  it('names missing and extra join keys', async () => {
    const missing = await rejection(
      store.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate'],
        entityRows: [{ customer_id: 'C001' }],
      }),
    );
    expect(InvalidFeatureRequestError.isInstance(missing)).toBe(true);
    expect(missing.message).toContain(
      'driver_hourly_stats is looked up by driver_id, which the entity rows do not have (they have customer_id)',
    );
    const extra = await rejection(
      store.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate'],
        entityRows: [{ driver_id: 1001, drivr_id: 1 }],
      }),
    );
    expect(extra.message).toContain(
      'The entity rows have drivr_id, which none of the requested feature views is looked up by',
    );
  });

  it('refuses values that do not fit the join key type, never rounding an int64', async () => {
    for (const bad of [2 ** 53 + 2, 1.5, '1001']) {
      const error = await rejection(
        store.getOnlineFeatures({
          features: ['driver_hourly_stats:conv_rate'],
          entityRows: [{ driver_id: 1001 }, { driver_id: bad }],
        }),
      );
      expect(InvalidFeatureRequestError.isInstance(error), String(bad)).toBe(true);
      expect(error.message).toMatch(/^Entity row 1: /);
      expect(error.message).toContain('driver_id as INT64');
    }
    const ok = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: [1001, 1001n] },
    });
    expect(ok.columns.conv_rate!.values[0]).toBe(ok.columns.conv_rate!.values[1]);
  });

  it('explains that on-demand feature views need the feature server', async () => {
    const views = await store.listFeatureViews();
    const odfv = views.find((v) => v.kind === 'on_demand_feature_view')!;
    const error = await rejection(
      store.getOnlineFeatures({
        features: [`${odfv.name}:${odfv.features[0]!.name}`],
        entityRows: [{ driver_id: 1001 }],
      }),
    );
    expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
    expect(error.message).toContain(
      'is an on-demand feature view: its values are computed by Python code at request time',
    );
  });
});

describe('corrupt bytes in Redis', () => {
  it('raise a DecodeError naming the key and the field, never a wrong value', async () => {
    const key = Buffer.from(
      redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 77_000_002n }], 'mlops_demo'),
    );
    await redis.hset(
      key,
      Buffer.from(featureFieldName('driver_hourly_stats', 'conv_rate')),
      Buffer.from([0x35, 0x00, 0x00]), // float_val cut short
      Buffer.from(timestampFieldName('driver_hourly_stats')),
      Buffer.from(encodeTimestamp(timestampFromDate(new Date()))),
    );
    try {
      const error = await rejection(
        store.getOnlineFeatures({
          features: ['driver_hourly_stats:conv_rate'],
          entities: { driver_id: [77_000_002] },
        }),
      );
      expect(DecodeError.isInstance(error)).toBe(true);
      expect((error as DecodeError).field).toBe('driver_hourly_stats:conv_rate');
      expect((error as DecodeError).source).toBe(`redis key 0x${key.toString('hex')}`);
    } finally {
      await redis.del(key);
    }
  });
});

describe('Redis Cluster', () => {
  it('reads the same values from the 3-node cluster as from standalone Redis', async () => {
    const request = {
      features: [
        'driver_hourly_stats:conv_rate',
        'driver_all_types:string_list_val',
        'customer_profile:name',
      ],
      entityRows: Array.from({ length: 10 }, (_, i) => ({
        driver_id: 1001 + i,
        customer_id: `C${String(i + 1).padStart(3, '0')}`,
      })),
      fullFeatureNames: true,
    };
    const [standalone, cluster] = await Promise.all([
      store.getOnlineFeatures(request),
      clusterStore.getOnlineFeatures(request),
    ]);
    expect(cluster.toDict()).toEqual(standalone.toDict());
    expect(cluster.columns.driver_hourly_stats__conv_rate!.statuses.every((s) => s !== 'NOT_FOUND')).toBe(
      true,
    );
  });
});
