import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FeatureStore } from '@mlops/feast';
import { parse, stringify } from 'yaml';

const root = resolve(import.meta.dirname, '../../..');

/**
 * A copy of the platform's Feast repo whose online store is a private Redis at that port (or a Toxiproxy
 * proxy in front of one), or a private cluster; the registry is the platform's, read-only. Removed by `remove()`.
 */
export function privateFeastRepo(online: number | { cluster: string }): { path: string; remove(): void } {
  const platformRepo = join(root, 'platform/feast');
  const yaml = parse(readFileSync(join(platformRepo, 'feature_store.yaml'), 'utf8')) as {
    registry: { path: string };
    online_store: { connection_string: string; redis_type?: string };
  };
  yaml.registry.path = resolve(platformRepo, yaml.registry.path);
  if (typeof online === 'number') yaml.online_store.connection_string = `127.0.0.1:${online}`;
  else {
    yaml.online_store.redis_type = 'redis_cluster';
    yaml.online_store.connection_string = online.cluster;
  }
  const path = mkdtempSync(join(tmpdir(), 'mlops-faults-feast-'));
  writeFileSync(join(path, 'feature_store.yaml'), stringify(yaml));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const servingFeatures = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
] as const;

/** The values driver `id` holds in the scenarios (exact in float32, int64 above 2^53 for some). */
export function expectedRow(id: number): { conv_rate: number; acc_rate: number; avg_daily_trips: bigint } {
  return { conv_rate: id / 1024, acc_rate: (id % 100) / 4, avg_daily_trips: 2n ** 60n + BigInt(id) };
}

/** Writes drivers 1..count with expectedRow's values, fresh (TTL is a day). */
export async function seedDrivers(store: FeatureStore, count: number): Promise<void> {
  const now = new Date();
  const rows = Array.from({ length: count }, (_, i) => ({
    driver_id: i + 1,
    event_timestamp: now,
    ...expectedRow(i + 1),
  }));
  await store.writeToOnlineStore('driver_hourly_stats', rows);
}

/** Reads `n` random drivers out of 1..count and says whether every value is exactly what was written. */
export async function readAndCheck(
  store: FeatureStore,
  count: number,
  n: number,
  options: { timeoutMs?: number } = {},
): Promise<boolean> {
  const ids = Array.from({ length: n }, () => 1 + Math.floor(Math.random() * count));
  const result = await store.getOnlineFeatures({
    features: servingFeatures,
    entityRows: ids.map((driver_id) => ({ driver_id })),
    ...options,
  });
  const rows = result.toObjects();
  return rows.every((row, i) => {
    const want = expectedRow(ids[i]!);
    return (
      row.conv_rate === want.conv_rate &&
      row.acc_rate === want.acc_rate &&
      row.avg_daily_trips === want.avg_daily_trips
    );
  });
}
