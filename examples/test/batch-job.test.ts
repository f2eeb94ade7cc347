import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PrometheusClient, Pushgateway } from '@mlops/metrics';
import { describe, expect, it } from 'vitest';
import { main as batchJob } from '../src/batch-job';

// The real Pushgateway (:9091) and the Prometheus that scrapes it every 5 s (:9090): platform up prometheus.
describe('batch-job', () => {
  it('pushes its numbers to the Pushgateway and Prometheus scrapes them', { timeout: 120_000 }, async () => {
    const job = `examples_batch_${randomUUID().slice(0, 8)}`;
    const gateway = new Pushgateway();
    try {
      const lines: string[] = [];
      const result = await batchJob({
        repoPath: fileURLToPath(new URL('../../platform/feast', import.meta.url)),
        job,
        log: (line) => lines.push(line),
      });
      // The seed holds hourly rows for drivers 1001..1010 up to the anchor: every value is there.
      expect(result.rows).toBe(10);
      expect(result.missingRatio).toEqual({
        'driver_hourly_stats:conv_rate': 0,
        'driver_hourly_stats:acc_rate': 0,
        'driver_hourly_stats:avg_daily_trips': 0,
      });
      expect(result.convRateMean).toBeGreaterThan(0);
      expect(result.convRateMean).toBeLessThan(1);
      expect(lines.at(-1)).toBe(`pushed to http://127.0.0.1:9091 as job="${job}"`);

      // Prometheus has exactly the pushed values once it has scraped the gateway (honor_labels keeps job).
      const prometheus = new PrometheusClient();
      const deadline = Date.now() + 60_000;
      let seen: Record<string, number> = {};
      while (Date.now() < deadline) {
        const answer = await prometheus.query(`{job="${job}"}`);
        if (answer.resultType !== 'vector') throw new Error(`unexpected ${answer.resultType}`);
        seen = Object.fromEntries(
          answer.result
            .filter((s) => s.value !== undefined && !s.metric.__name__!.startsWith('push_'))
            .map((s) => [
              `${s.metric.__name__}${s.metric.feature ? `{${s.metric.feature}}` : ''}`,
              s.value![1],
            ]),
        );
        if (Object.keys(seen).length >= 7) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(seen).toEqual({
        feature_quality_rows: 10,
        'feature_quality_missing_ratio{driver_hourly_stats:conv_rate}': 0,
        'feature_quality_missing_ratio{driver_hourly_stats:acc_rate}': 0,
        'feature_quality_missing_ratio{driver_hourly_stats:avg_daily_trips}': 0,
        feature_quality_conv_rate_mean: result.convRateMean,
        batch_job_duration_seconds: result.durationSeconds,
        batch_job_last_success_timestamp_seconds: result.lastSuccess,
      });
    } finally {
      await gateway.delete({ job, groupings: { instance: '' } });
    }
  });
});
