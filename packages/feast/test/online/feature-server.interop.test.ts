import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKey } from '../../src/codec/entity-key';
import { ValueType } from '../../src/codec/value-type';
import { FeatureStore } from '../../src/feature-store';
import { feastRepo, pins } from '../support/platform';

const serverUrl = `http://127.0.0.1:${pins.FEAST_SERVER_PORT}`;
const direct = new FeatureStore({ repoPath: feastRepo });
const viaHttp = new FeatureStore({ repoPath: feastRepo, online: 'http', featureServerUrl: serverUrl });
const redis = new Redis({ host: '127.0.0.1', port: Number(pins.REDIS_PORT) });
afterAll(async () => {
  await Promise.all([direct.close(), viaHttp.close()]);
  redis.disconnect();
});

describe('the feature server backend', { timeout: 120_000 }, () => {
  it('is healthy (reached on port 6566, which fetch itself refuses)', async () => {
    expect(await viaHttp.health()).toBe(true);
  });

  it('gives the same result as the direct Redis path: values, statuses, names and order', async () => {
    const view = await direct.getFeatureView('driver_all_types');
    const request = {
      features: ['driver_hourly_stats:conv_rate', ...view.features.map((f) => `driver_all_types:${f.name}`)],
      entityRows: [1001, 1005, 424_242, 1001].map((driver_id) => ({ driver_id })),
      fullFeatureNames: true,
    };
    const [a, b] = await Promise.all([direct.getOnlineFeatures(request), viaHttp.getOnlineFeatures(request)]);
    expect(b.featureNames).toEqual(a.featureNames);
    for (const name of a.featureNames) {
      expect(b.columns[name]!.statuses, name).toEqual(a.columns[name]!.statuses);
      if (name === 'driver_id') continue;
      expect(b.columns[name]!.values, name).toEqual(a.columns[name]!.values);
      expect(b.columns[name]!.eventTimestamps, name).toEqual(a.columns[name]!.eventTimestamps);
    }
    expect(b.valueTypes).toEqual(a.valueTypes);
  });

  it('serves on-demand feature views, which the direct path refuses', async () => {
    const odfv = (await direct.listFeatureViews()).find((v) => v.kind === 'on_demand_feature_view')!;
    const result = await viaHttp.getOnlineFeatures({
      features: odfv.features.map((f) => `${odfv.name}:${f.name}`),
      // The view's request source asks for these two values in each row.
      entityRows: [{ driver_id: 1001, val_to_add: 1, val_to_add_2: 10 }],
    });
    for (const feature of odfv.features) expect(result.columns[feature.name]!.values[0]).not.toBeNull();
  });

  it('pushes rows through a push source, readable at once from Redis directly', async () => {
    const driver = 88_100_001;
    const key = Buffer.from(
      redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: BigInt(driver) }], 'mlops_demo'),
    );
    try {
      const now = new Date();
      await viaHttp.push('driver_stats_push', {
        driver_id: [driver],
        event_timestamp: [now.toISOString()],
        created: [now.toISOString()],
        conv_rate: [0.125],
        acc_rate: [0.5],
        avg_daily_trips: [7n],
      });
      const result = await direct.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
        entities: { driver_id: [driver] },
      });
      expect(result.toObjects()).toEqual([{ driver_id: driver, conv_rate: 0.125, avg_daily_trips: 7n }]);
      expect(result.columns.conv_rate!.statuses).toEqual(['PRESENT']);
    } finally {
      await redis.del(key);
    }
  });

  it('materializes a window through the server', async () => {
    await viaHttp.featureServer.materialize({
      start: new Date('2025-12-20T00:00:00Z'),
      end: new Date('2026-01-02T00:00:00Z'),
      featureViews: ['driver_hourly_stats'],
    });
    const result = await direct.getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate'],
      entities: { driver_id: [1001] },
    });
    expect(result.columns.conv_rate!.values[0]).not.toBeNull();
  });
});
