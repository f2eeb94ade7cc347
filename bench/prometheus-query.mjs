// queryRange of SERIES series × POINTS points, decoded: @mlops/metrics PrometheusClient vs the npm `prometheus-query`
// package (samber/prometheus-query-js), both reading the same recorded real answer from a local node:http server.
//   pnpm build && pnpm --filter @mlops/bench prometheus-query
//   SERIES=100 POINTS=100 ROUNDS=5 pnpm --filter @mlops/bench prometheus-query   (a quick run)
// The answer is recorded first from the platform's real Prometheus (2.42 at PROMETHEUS_URL): SERIES gauges are
// pushed to the platform's Pushgateway under a unique job, scraped once, then one query_range over POINTS steps of
// 250 ms (inside the 5-minute lookback of that one sample) returns a full matrix whose values vary per step; the
// group is deleted from the Pushgateway afterwards. Serving that body from node:http keeps Prometheus's evaluation
// time (the same for every client) out of the ratio: what is compared is request + JSON decode + result building.
// Contenders: raw fetch + JSON.parse (the floor: no result building), ours (`queryRange`, samples as
// [ms, number]), prometheus-query (`rangeQuery`, samples as {time: Date, value: parseFloat}).
import { createServer } from 'node:http';
import { PrometheusClient } from '@mlops/metrics';
import { PrometheusDriver } from 'prometheus-query';
import { interleave, mulberry32, summarise, writeResults } from './lib.mjs';

const SERIES = Number(process.env.SERIES ?? 1000);
const POINTS = Number(process.env.POINTS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const WARMUP = Number(process.env.WARMUP ?? 3);
const PROMETHEUS = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const PUSHGATEWAY = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';
const STEP_MS = 250;

async function record() {
  const job = `mlops_bench_prometheus_query_${process.pid}_${Date.now()}`;
  const random = mulberry32(42);
  const lines = ['# TYPE mlops_bench_value gauge'];
  for (let i = 0; i < SERIES; i++)
    lines.push(`mlops_bench_value{series="s${i}",model="m${i % 7}"} ${random() * 1000}`);
  const group = `${PUSHGATEWAY}/metrics/job/${job}`;
  const pushed = await fetch(group, { method: 'PUT', body: `${lines.join('\n')}\n` });
  if (!pushed.ok)
    throw new Error(
      `Pushgateway at ${PUSHGATEWAY} answered ${pushed.status}: start it with pnpm platform up prometheus`,
    );
  try {
    const selector = `mlops_bench_value{job="${job}"}`;
    let scraped;
    for (let tries = 0; tries < 60 && scraped === undefined; tries++) {
      const answer = await (
        await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(`max(timestamp(${selector}))`)}`)
      ).json();
      const sample = answer.data?.result?.[0]?.value;
      if (sample) scraped = Math.round(sample[0] * 1000);
      else await new Promise((r) => setTimeout(r, 500));
    }
    if (scraped === undefined) throw new Error(`Prometheus at ${PROMETHEUS} never scraped job ${job}`);
    // One sample per series, so the grid must sit inside its lookback: POINTS × 250 ms after the scrape.
    const start = Math.ceil(scraped / 1000) * 1000 + 1000;
    const end = start + (POINTS - 1) * STEP_MS;
    const expr = `${selector} / (time() % 997 + 1)`;
    const body = new URLSearchParams({
      query: expr,
      start: String(start / 1000),
      end: String(end / 1000),
      step: '0.25',
    });
    const response = await fetch(`${PROMETHEUS}/api/v1/query_range`, { method: 'POST', body });
    const text = await response.text();
    const data = JSON.parse(text).data;
    const points = data.result.reduce((n, s) => n + s.values.length, 0);
    if (data.result.length !== SERIES || points !== SERIES * POINTS)
      throw new Error(
        `recorded ${data.result.length} series, ${points} points; expected ${SERIES} × ${POINTS}`,
      );
    return { text, expr, start, end, prometheusVersion: await version() };
  } finally {
    await fetch(group, { method: 'DELETE' });
  }
}

async function version() {
  return (await (await fetch(`${PROMETHEUS}/api/v1/status/buildinfo`)).json()).data.version;
}

const recorded = await record().catch((error) => {
  throw new Error(`recording the answer from ${PROMETHEUS} failed: ${error.cause?.message ?? error.message}`);
});
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(recorded.text);
  });
});
// A round can outlast node:http's 5 s keep-alive; a socket closed under a client's reuse would reset.
server.keepAliveTimeout = 120_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const ours = new PrometheusClient({ url, maxRetries: 0 });
const theirs = new PrometheusDriver({ endpoint: url, baseURL: '/api/v1', preferPost: true });
const start = new Date(recorded.start);
const end = new Date(recorded.end);

// Same answer from both before timing (their +Inf/-Inf would be NaN: parseFloat does not read Prometheus's "Inf").
const a = await ours.queryRange(recorded.expr, { start, end, step: STEP_MS });
const b = await theirs.rangeQuery(recorded.expr, start, end, 0.25);
for (let i = 0; i < SERIES; i += Math.max(1, Math.floor(SERIES / 50))) {
  const x = a.result[i];
  const y = b.result[i];
  for (let j = 0; j < POINTS; j += Math.max(1, Math.floor(POINTS / 50))) {
    if (x.values[j][0] !== y.values[j].time.getTime() || x.values[j][1] !== y.values[j].value)
      throw new Error(
        `series ${i} point ${j} differs: ${x.values[j]} vs ${y.values[j].time.toISOString()} ${y.values[j].value}`,
      );
  }
}

const contenders = {
  'raw fetch + JSON.parse (floor)': async () => {
    const response = await fetch(`${url}/api/v1/query_range`, { method: 'POST', body: 'query=x' });
    JSON.parse(await response.text());
  },
  '@mlops/metrics queryRange': () => ours.queryRange(recorded.expr, { start, end, step: STEP_MS }),
  'prometheus-query rangeQuery': () => theirs.rangeQuery(recorded.expr, start, end, 0.25),
};
const samples = await interleave(contenders, { rounds: ROUNDS, warmup: WARMUP });
server.close();

const stats = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, summarise(s)]));
const ourP50 = stats['@mlops/metrics queryRange'].p50;
const rows = Object.entries(stats).map(
  ([name, s]) => `| ${name} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${(s.p50 / ourP50).toFixed(2)}× |`,
);
const speedup = stats['prometheus-query rangeQuery'].p50 / ourP50;
const markdown = [
  `queryRange of ${SERIES} series × ${POINTS} points (${(recorded.text.length / 1e6).toFixed(1)} MB of JSON recorded from Prometheus ${recorded.prometheusVersion}), served by node:http; ${ROUNDS} rounds, ${WARMUP} warm-up, Node ${process.version}.`,
  '',
  '| contender | p50 ms | p99 ms | p50 / ours |',
  '|---|---:|---:|---:|',
  ...rows,
  '',
  `@mlops/metrics is ${speedup.toFixed(2)}× faster than prometheus-query at p50 (target ≥ 2×).`,
].join('\n');
process.stdout.write(`${markdown}\n`);
writeResults(
  'prometheus-query',
  { series: SERIES, points: POINTS, rounds: ROUNDS, bytes: recorded.text.length, stats, speedup },
  markdown,
);
