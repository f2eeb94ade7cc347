// Run by runtimes.interop.test.ts under Node 24, Node 22, Deno 2 and Bun 1 (bundled with esbuild): the kit,
// the fetch-style handler, a drift monitor and a push to the real Pushgateway, one JSON line out.
import { Float64, Table, vectorFromArray } from 'apache-arrow';
import {
  createDriftMonitor,
  createServingMetrics,
  metricsHandler,
  Pushgateway,
  profileFrom,
} from '../../src/index';

const metrics = createServingMetrics();
const m = metrics.forModel({ model: 'rt', version: '1' });
m.startRequest()('success');
m.observePrediction({ score: 0.3, predictedClass: 'a' });
const profile = profileFrom(new Table({ x: vectorFromArray([1, 2, 3, 4], new Float64()) }));
const drift = createDriftMonitor({ profile, registry: metrics.registry, window: 10 });
drift.observe({ x: 9 });
const handler = metricsHandler(metrics.registry);
const res = await handler(new Request('http://localhost/metrics'));
const text = await res.text();
const job = `mlops_test_rt_${Math.random().toString(36).slice(2)}`;
const gateway = new Pushgateway();
await gateway.push({ job, groupings: { p: '/a' }, registry: metrics.registry });
await gateway.delete({ job, groupings: { p: '/a' } });
console.log(
  JSON.stringify({
    ok: res.status === 200,
    requests: text.includes('mlops_inference_requests_total{model_name="rt"'),
    drift: text.includes('mlops_drift_ks_statistic{feature="x"} 1'),
    process: text.includes('process_cpu_user_seconds_total'),
  }),
);
