import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializeEntityKey, redisKey } from '../../src/codec/entity-key';
import { ValueType } from '../../src/codec/value-type';
import { loadRepoConfig } from '../../src/config/load-repo-config';
import type { RedisOnlineStoreConfig } from '../../src/config/repo-config';
import { FeatureStore } from '../../src/feature-store';
import { planOnlineRequest } from '../../src/online/request-plan';
import { Registry } from '../../src/registry/registry';
import { registrySourceFor } from '../../src/registry/sources';
import { feastRepo, pins } from '../support/platform';

const SENTINEL_PORT = 26_391;
let sentinel: ChildProcess;

beforeAll(async () => {
  // A Sentinel of our own that watches the platform's Redis as "mymaster".
  const dir = mkdtempSync(join(tmpdir(), 'mlops-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    `port ${SENTINEL_PORT}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${pins.REDIS_PORT} 1\n`,
  );
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    sentinel.once('error', (error) =>
      reject(
        new Error(
          `redis-server --sentinel could not start (${error.message}); run \`pnpm platform up redis\` to install Redis`,
        ),
      ),
    );
    setTimeout(resolve, 500);
  });
});
afterAll(() => {
  sentinel?.kill();
});

describe('Redis Sentinel', () => {
  it('reads through a Sentinel exactly what standalone Redis holds', async () => {
    const config = await loadRepoConfig(feastRepo);
    const online = config.onlineStore as RedisOnlineStoreConfig;
    const viaSentinel = new FeatureStore({
      repoPath: feastRepo,
      config: {
        ...config,
        onlineStore: {
          ...online,
          redisType: 'redis_sentinel',
          nodes: [{ host: '127.0.0.1', port: SENTINEL_PORT }],
          sentinelMaster: 'mymaster',
        },
      },
    });
    const standalone = new FeatureStore({ repoPath: feastRepo });
    try {
      const request = {
        features: ['driver_hourly_stats:conv_rate', 'customer_profile:name'],
        entityRows: [{ driver_id: 1001, customer_id: 'C001' }],
      };
      const [a, b] = await Promise.all([
        viaSentinel.getOnlineFeatures(request),
        standalone.getOnlineFeatures(request),
      ]);
      expect(a.toDict()).toEqual(b.toDict());
      expect(a.columns.conv_rate!.statuses).not.toContain('NOT_FOUND');
    } finally {
      await Promise.all([viaSentinel.close(), standalone.close()]);
    }
  });
});

describe('entity key serialization versions', () => {
  it('builds v2 keys for repos that declare entity_key_serialization_version: 2', async () => {
    const config = await loadRepoConfig(feastRepo);
    const snapshot = await new Registry(
      await registrySourceFor(config.registry, config.project, config.repoPath),
      config.project,
    ).snapshot();
    const request = { features: ['driver_hourly_stats:conv_rate'], entityRows: [{ driver_id: 1001 }] };
    const v3 = planOnlineRequest(snapshot, request, {
      project: config.project,
      entityKeySerializationVersion: 3,
    });
    const v2 = planOnlineRequest(snapshot, request, {
      project: config.project,
      entityKeySerializationVersion: 2,
    });
    const part = [{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 1001n }] as const;
    expect(v3.views[0]!.keys[0]).toEqual(redisKey(part, config.project, { version: 3 }));
    expect(v2.views[0]!.keys[0]).toEqual(redisKey(part, config.project, { version: 2 }));
    expect(v2.views[0]!.keys[0]).not.toEqual(v3.views[0]!.keys[0]);
    const key = v3.views[0]!.keys[0]!;
    expect(deserializeEntityKey(key.subarray(0, key.length - config.project.length))).toEqual([
      { joinKey: 'driver_id', valueType: ValueType.INT64, value: 1001n },
    ]);
  });
});
