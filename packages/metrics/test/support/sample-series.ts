// Sample serving and drift series in the text exposition format, under the metric names the dashboard and the
// rules use (createServingMetrics' and createDriftMonitor's), for pushing or serving them in tests.

/** Text exposition of every series the dashboard and rules read; `step` makes the counters grow. */
export function sampleExposition(step: number): string {
  const buckets = [0.05, 0.1, 0.25, 0.5, 1];
  const lines: string[] = [];
  const model = 'model="churn",version="3"';
  lines.push('# TYPE mlops_serving_requests_total counter');
  lines.push(`mlops_serving_requests_total{${model},outcome="success"} ${100 * step}`);
  lines.push(`mlops_serving_requests_total{${model},outcome="error"} ${20 * step}`);
  // Half the requests are slower than 0.5 s: the latency SLO (99% under 0.5 s) burns fast.
  lines.push('# TYPE mlops_serving_request_duration_seconds histogram');
  const total = 120 * step;
  for (const le of buckets) {
    const count = le < 0.5 ? Math.round(total * 0.3) : le === 0.5 ? total / 2 : Math.round(total * 0.9);
    lines.push(`mlops_serving_request_duration_seconds_bucket{${model},le="${le}"} ${count}`);
  }
  lines.push(`mlops_serving_request_duration_seconds_bucket{${model},le="+Inf"} ${total}`);
  lines.push(`mlops_serving_request_duration_seconds_sum{${model}} ${total * 0.6}`);
  lines.push(`mlops_serving_request_duration_seconds_count{${model}} ${total}`);
  lines.push('# TYPE mlops_serving_in_flight_requests gauge');
  lines.push(`mlops_serving_in_flight_requests{${model}} 3`);
  lines.push('# TYPE mlops_serving_feature_fetch_duration_seconds histogram');
  for (const le of buckets)
    lines.push(
      `mlops_serving_feature_fetch_duration_seconds_bucket{le="${le}"} ${Math.round(total * Math.min(1, le * 4))}`,
    );
  lines.push(`mlops_serving_feature_fetch_duration_seconds_bucket{le="+Inf"} ${total}`);
  lines.push(`mlops_serving_feature_fetch_duration_seconds_sum ${total * 0.1}`);
  lines.push(`mlops_serving_feature_fetch_duration_seconds_count ${total}`);
  lines.push('# TYPE mlops_serving_missing_features_total counter');
  lines.push(`mlops_serving_missing_features_total{feature_view="driver_hourly_stats"} ${5 * step}`);
  lines.push('# TYPE mlops_serving_stale_features_total counter');
  lines.push(`mlops_serving_stale_features_total{feature_view="driver_hourly_stats"} ${7 * step}`);
  lines.push('# TYPE mlops_serving_feature_freshness_seconds gauge');
  lines.push('mlops_serving_feature_freshness_seconds{feature_view="driver_hourly_stats"} 7200');
  for (const [name, value] of [
    ['mlops_drift_psi', 0.4],
    ['mlops_drift_ks', 0.3],
    ['mlops_drift_missing_rate', 0.02],
    ['mlops_drift_out_of_range_rate', 0.05],
  ] as const) {
    lines.push(`# TYPE ${name} gauge`);
    lines.push(`${name}{feature="conv_rate"} ${value}`);
    lines.push(`${name}{feature="acc_rate"} ${value / 4}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a PromQL instant query with plain fetch; the result vector (or a scalar as one sample). */
export async function promQuery(
  prometheusUrl: string,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: unknown };
  };
  if (body.status !== 'success' || body.data === undefined)
    throw new Error(`PromQL ${expr} failed: ${body.error ?? res.status}`);
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
}
