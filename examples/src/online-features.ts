// Serve features to a model: read the latest values for a batch of drivers straight from Feast's Redis online
// store, then write a fresh row back. Run: pnpm --filter @mlops/examples online-features (platform up, pnpm build).
import { fileURLToPath } from 'node:url';
import { FeatureStore } from '@mlops/feast';

export async function main(repoPath: string): Promise<Record<string, unknown>[]> {
  const store = new FeatureStore({ repoPath });
  try {
    const result = await store.getOnlineFeatures({
      features: [
        'driver_hourly_stats:conv_rate',
        'driver_hourly_stats:avg_daily_trips',
        'driver_all_types:string_list_val',
      ],
      entityRows: [{ driver_id: 1001 }, { driver_id: 1002 }, { driver_id: 999_999 }],
    });
    for (const name of result.featureNames) {
      const column = result.columns[name]!;
      console.log(name.padEnd(24), column.values.map(String).join('\t'), column.statuses.join(' '));
    }
    return result.toObjects();
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(fileURLToPath(new URL('../../platform/feast', import.meta.url)));
}
