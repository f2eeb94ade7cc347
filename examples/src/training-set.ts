// Build a training set: for each labelled event (a driver at a moment), the driver's features as they were at
// that moment — never later — from Feast's PostgreSQL offline store, as an Arrow table ready for pandas, polars
// or DuckDB. Run: pnpm --filter @mlops/examples training-set (platform up, pnpm build).
import { fileURLToPath } from 'node:url';
import { FeatureStore, type HistoricalRetrievalJob } from '@mlops/feast';

type Table = Awaited<ReturnType<HistoricalRetrievalJob['toArrow']>>;

export async function main(repoPath: string): Promise<Table> {
  const store = new FeatureStore({ repoPath });
  try {
    const hour = 3_600_000;
    const start = Date.parse('2026-01-01T00:00:00Z');
    const job = await store.getHistoricalFeatures({
      entityDf: {
        driver_id: [1001, 1002, 1003, 1001],
        event_timestamp: [start + 5 * hour, start + 10 * hour, start + 30 * hour, start + 72 * hour].map(
          (ms) => new Date(ms),
        ),
        label: [1, 0, 1, 0],
      },
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
    });
    console.log(job.toSQL());
    const table = await job.toArrow();
    for (const row of table)
      console.log(JSON.stringify(row.toJSON(), (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
    return table;
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(fileURLToPath(new URL('../../platform/feast', import.meta.url)));
}
