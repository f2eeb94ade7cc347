// A batch job that reports to Prometheus through the Pushgateway (interaction 9, for jobs too short to be
// scraped): a nightly feature-quality check reads every driver's features as of a moment from the offline store
// (PostgreSQL, point in time), measures how many values are missing and the mean conversion rate, and pushes the
// numbers with its duration and last-success time. It pushes even if it dies half way (pushOnExit), so an alert on
// `time() - batch_job_last_success_timestamp_seconds` sees a job that stopped succeeding.
// Run: pnpm --filter @mlops/examples batch-job (platform up, pnpm build).
import { fileURLToPath } from 'node:url';
import { FeatureStore } from '@mlops/feast';
import { Pushgateway } from '@mlops/metrics';
import { Gauge, Registry } from 'prom-client';

const COLUMNS = ['conv_rate', 'acc_rate', 'avg_daily_trips'] as const;
export const FEATURES = COLUMNS.map((column) => `driver_hourly_stats:${column}` as const);

export interface BatchJobOptions {
  repoPath: string;
  /** The `job` label of the pushed group (one group per job and `instance`). */
  job?: string;
  /** The moment whose features are checked. Default: the platform seed's anchor, 2026-01-01T00:00:00Z. */
  asOf?: Date;
  driverIds?: readonly number[];
  log?: (line: string) => void;
}

export interface BatchJobResult {
  job: string;
  rows: number;
  /** Share of null values per feature (view-qualified name). */
  missingRatio: Record<string, number>;
  convRateMean: number;
  durationSeconds: number;
  lastSuccess: number;
}

export async function main(options: BatchJobOptions): Promise<BatchJobResult> {
  const log = options.log ?? console.log;
  const job = options.job ?? 'feature_quality';
  const started = performance.now();
  // The text format: the Pushgateway parses no OpenMetrics.
  const registry = new Registry();
  const rows = new Gauge({
    name: 'feature_quality_rows',
    help: 'Entity rows checked.',
    registers: [registry],
  });
  const missing = new Gauge({
    name: 'feature_quality_missing_ratio',
    help: 'Share of null values per feature.',
    labelNames: ['feature'],
    registers: [registry],
  });
  const convRate = new Gauge({
    name: 'feature_quality_conv_rate_mean',
    help: 'Mean of driver_hourly_stats:conv_rate over the present values.',
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'batch_job_duration_seconds',
    help: 'How long the job ran.',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'batch_job_last_success_timestamp_seconds',
    help: 'When the job last succeeded (Unix seconds).',
    registers: [registry],
  });

  const gateway = new Pushgateway(); // url option → PUSHGATEWAY_URL → http://127.0.0.1:9091
  // Pushes what the registry holds if the process dies first (an exception, SIGTERM): last success stays old.
  const exit = gateway.pushOnExit({ job, groupings: { instance: '' }, registry });
  const store = new FeatureStore({ repoPath: options.repoPath });
  try {
    const asOf = options.asOf ?? new Date('2026-01-01T00:00:00Z');
    const ids = options.driverIds ?? Array.from({ length: 10 }, (_, i) => 1001 + i);
    const job$ = await store.getHistoricalFeatures({
      entityDf: { driver_id: [...ids], event_timestamp: ids.map(() => asOf) },
      features: FEATURES,
    });
    const table = await job$.toArrow();
    rows.set(table.numRows);
    const missingRatio: Record<string, number> = {};
    for (const name of COLUMNS) {
      const feature = `driver_hourly_stats:${name}`;
      const column = table.getChild(name)!;
      missingRatio[feature] = table.numRows === 0 ? 0 : column.nullCount / table.numRows;
      missing.set({ feature }, missingRatio[feature]);
    }
    const present = [...table.getChild('conv_rate')!].filter((v): v is number => v !== null);
    const convRateMean = present.reduce((a, b) => a + b, 0) / Math.max(present.length, 1);
    convRate.set(convRateMean);
    const durationSeconds = (performance.now() - started) / 1000;
    duration.set(durationSeconds);
    const now = Date.now() / 1000;
    lastSuccess.set(now);
    log(
      `${job}: ${table.numRows} rows as of ${asOf.toISOString()}, conv_rate mean ${convRateMean.toFixed(4)}`,
    );
    for (const [feature, ratio] of Object.entries(missingRatio)) log(`  ${feature}: ${ratio * 100}% missing`);
    return { job, rows: table.numRows, missingRatio, convRateMean, durationSeconds, lastSuccess: now };
  } finally {
    await store.close();
    await exit.flush(); // push now (PUT: the group becomes exactly these metrics) and stop watching
    log(`pushed to ${gateway.url} as job="${job}"`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main({ repoPath: fileURLToPath(new URL('../../platform/feast', import.meta.url)) });
}
