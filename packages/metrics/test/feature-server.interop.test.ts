// Feature quality from what the platform's real Feast 0.67 feature server answers: its JSON goes to
// observeOnlineFeatures as it comes. (node:http: fetch refuses port 6566, a "bad port" of the fetch standard.)
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createServingMetrics, type FeatureServerResponseLike } from '../src/index';

const FEATURE_SERVER = new URL(process.env.FEAST_FEATURE_SERVER_URL ?? 'http://127.0.0.1:6566');

function getOnlineFeatures(body: unknown): Promise<FeatureServerResponseLike> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/get-online-features', FEATURE_SERVER),
      { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 20_000 },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += String(chunk);
        });
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text))
            : reject(new Error(`feature server ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', (error) =>
      reject(
        new Error(
          `the Feast feature server is not answering at ${FEATURE_SERVER.href} (${error.message}). Start it with: pnpm platform up feast`,
        ),
      ),
    );
    req.end(JSON.stringify(body));
  });
}

async function series(
  registry: import('prom-client').Registry,
  name: string,
): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [JSON.stringify(v.labels), v.value]));
}

describe('feature quality from the real feature server', () => {
  it('counts a missing entity as NOT_FOUND although Feast 0.67 says PRESENT, and the freshness of the rest', async () => {
    const answer = await getOnlineFeatures({
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:acc_rate'],
      entities: { driver_id: [1001, 1002, 999_999_999] },
      full_feature_names: true,
    });
    // What the server says for the unknown driver: PRESENT, null, no time.
    const conv = answer.results[answer.metadata.feature_names.indexOf('driver_hourly_stats__conv_rate')];
    expect([conv?.statuses[2], conv?.values?.[2], conv?.event_timestamps?.[2]]).toEqual([
      'PRESENT',
      null,
      '1970-01-01T00:00:00Z',
    ]);
    const newest = Math.max(...(conv?.event_timestamps ?? []).map((t) => Date.parse(t)));

    const metrics = createServingMetrics();
    const now = newest + 90_000;
    metrics.observeOnlineFeatures(answer, { now });
    const view = '{"feature_view":"driver_hourly_stats"}';
    expect(await series(metrics.registry, 'mlops_feature_values_total')).toEqual({ [view]: 6 });
    expect(await series(metrics.registry, 'mlops_feature_missing_total')).toEqual({
      '{"feature_view":"driver_hourly_stats","status":"NOT_FOUND"}': 2,
      '{"feature_view":"driver_hourly_stats","status":"NULL_VALUE"}': 0,
    });
    expect(await series(metrics.registry, 'mlops_feature_freshness_seconds')).toEqual({ [view]: 90 });
  });
});
