// Hot path cost per request of the @mlops/metrics serving kit — request latency + counters + prediction +
// a 20-feature drift update — against the same observations made with bare prom-client, in one
// interleaved run. Usage: pnpm --filter @mlops/bench metrics-serving   (build first: pnpm build)
// Env: ROUNDS (default 400), BATCH requests per timed sample (default 1000), WINDOW (drift window, 1000).
import { createDriftMonitor, createServingMetrics, profileFrom } from '@mlops/metrics';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { interleave, mulberry32, summarise, writeResults } from './lib.mjs';

const rounds = Number(process.env.ROUNDS ?? 400);
const batch = Number(process.env.BATCH ?? 1000);
const window = Number(process.env.WINDOW ?? 1000);
const random = mulberry32(42);

// 20 features: 15 numbers, 5 categories; a training set of 10 000 rows and 1 024 live vectors.
const numeric = Array.from({ length: 15 }, (_, i) => `f${i}`);
const categorical = Array.from({ length: 5 }, (_, i) => `c${i}`);
const cities = ['Lyon', 'Paris', 'Lille', 'Nantes', 'Brest', 'Metz', 'Nice', 'Pau'];
const draw = (shift) => ({
  ...Object.fromEntries(
    numeric.map((f, i) => [f, random() < 0.02 ? null : i * 10 + (random() - 0.5 + shift) * 20]),
  ),
  ...Object.fromEntries(
    categorical.map((f) => [f, cities[Math.floor(random() ** (1 + shift) * cities.length)]]),
  ),
});
const train = Array.from({ length: 10_000 }, () => draw(0));
const columns = {};
for (const f of numeric)
  columns[f] = vectorFromArray(
    train.map((r) => r[f]),
    new Float64(),
  );
for (const f of categorical)
  columns[f] = vectorFromArray(
    train.map((r) => r[f]),
    new Utf8(),
  );
columns.score = vectorFromArray(
  train.map(() => random()),
  new Float64(),
);
const profile = profileFrom(new Table(columns));
const vectors = Array.from({ length: 1024 }, () => draw(0.3));
const scores = Array.from({ length: 1024 }, () => random());
const latencies = Array.from({ length: 1024 }, () => random() * 0.05);
const model = { model: 'churn', version: '3' };

// Ours: the kit and a drift monitor on one registry.
const kit = createServingMetrics();
const drift = createDriftMonitor({ profile, registry: kit.registry, window, prediction: 'score' });
const churn = kit.forModel(model);

// Bare prom-client: the same series, observed the way its README shows (labels objects per call).
const registry = new Registry();
const labelNames = ['model_name', 'model_version', 'outcome'];
const requests = new Counter({ name: 'req_total', help: 'h', labelNames, registers: [registry] });
const duration = new Histogram({
  name: 'req_seconds',
  help: 'h',
  labelNames,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const inFlight = new Gauge({
  name: 'in_flight',
  help: 'h',
  labelNames: ['model_name', 'model_version'],
  registers: [registry],
});
const score = new Histogram({
  name: 'score',
  help: 'h',
  labelNames: ['model_name', 'model_version'],
  buckets: Array.from({ length: 20 }, (_, i) => (i + 1) / 20),
  registers: [registry],
});
const classes = new Counter({
  name: 'pred_total',
  help: 'h',
  labelNames: ['model_name', 'model_version', 'predicted_class'],
  registers: [registry],
});

// The same, with prom-client's label children bound once (`labels(...)`), as a tuned service would.
const bound = {
  flight: inFlight.labels('churn', '3'),
  duration: duration.labels('churn', '3', 'success'),
  requests: requests.labels('churn', '3', 'success'),
  score: score.labels('churn', '3'),
  churns: classes.labels('churn', '3', 'churns'),
  stays: classes.labels('churn', '3', 'stays'),
};

let k = 0;
const contenders = {
  'bare prom-client (latency + counters + prediction)': () => {
    for (let i = 0; i < batch; i++) {
      const j = k++ & 1023;
      const flight = { model_name: 'churn', model_version: '3' };
      inFlight.inc(flight);
      const labels = { model_name: 'churn', model_version: '3', outcome: 'success' };
      duration.observe(labels, latencies[j]);
      requests.inc(labels);
      inFlight.dec(flight);
      score.observe(flight, scores[j]);
      classes.inc({
        model_name: 'churn',
        model_version: '3',
        predicted_class: scores[j] > 0.5 ? 'churns' : 'stays',
      });
    }
  },
  'prom-client, label children bound once': () => {
    for (let i = 0; i < batch; i++) {
      const j = k++ & 1023;
      bound.flight.inc();
      bound.duration.observe(latencies[j]);
      bound.requests.inc();
      bound.flight.dec();
      bound.score.observe(scores[j]);
      (scores[j] > 0.5 ? bound.churns : bound.stays).inc();
    }
  },
  '@mlops/metrics kit (same observations)': () => {
    for (let i = 0; i < batch; i++) {
      const j = k++ & 1023;
      const end = churn.startRequest();
      end('success');
      churn.observePrediction({ score: scores[j], predictedClass: scores[j] > 0.5 ? 'churns' : 'stays' });
    }
  },
  '@mlops/metrics kit + 20-feature drift update': () => {
    for (let i = 0; i < batch; i++) {
      const j = k++ & 1023;
      const end = churn.startRequest();
      end('success');
      churn.observePrediction({ score: scores[j], predictedClass: scores[j] > 0.5 ? 'churns' : 'stays' });
      drift.observe(vectors[j], scores[j]);
    }
  },
  '@mlops/metrics kit, unbound calls, + drift': () => {
    for (let i = 0; i < batch; i++) {
      const j = k++ & 1023;
      const end = kit.startRequest(model);
      end('success');
      kit.observePrediction({
        ...model,
        score: scores[j],
        predictedClass: scores[j] > 0.5 ? 'churns' : 'stays',
      });
      drift.observe(vectors[j], scores[j]);
    }
  },
};
const samples = await interleave(contenders, { rounds, warmup: Math.ceil(rounds / 10) });

// The kit counted every request of its three contenders: nothing lost on the fast path.
const counted = (await kit.registry.getSingleMetric('mlops_inference_requests_total').get()).values.reduce(
  (a, v) => a + v.value,
  0,
);
const expectedCount = 3 * (rounds + Math.ceil(rounds / 10)) * batch;
if (counted !== expectedCount)
  throw new Error(`the kit counted ${counted} requests, expected ${expectedCount}`);

// One scrape of the kit's registry (the KS statistics sort each window then), for scale.
const scrapes = [];
for (let i = 0; i < 20; i++) {
  const started = performance.now();
  await kit.registry.metrics();
  scrapes.push(performance.now() - started);
}

const perRequest = (ms) => ms.map((x) => (x / batch) * 1000); // µs per request
const stats = Object.fromEntries(
  Object.entries(samples).map(([name, s]) => [name, summarise(perRequest(s))]),
);
const names = Object.keys(contenders);
const reference = stats[names[0]];
const ours = stats[names[3]];
const result = {
  benchmark: 'metrics-serving',
  runtime: `node ${process.versions.node}`,
  rounds,
  batch,
  window,
  unit: 'µs per request',
  stats,
  scrapeMs: summarise(scrapes),
  ratios: {
    p50: ours.p50 / reference.p50,
    kitOnlyP50: stats[names[2]].p50 / reference.p50,
    boundReferenceP50: ours.p50 / stats[names[1]].p50,
  },
  targets: { ratioAtMost: 1.3, microsecondsUnder: 5 },
};
const fmt = (us) => `${us.toFixed(2)} µs`;
const markdown = [
  `Serving hot path, node ${process.versions.node}, ${rounds} interleaved rounds of ${batch} requests, drift window ${window}`,
  '',
  '| contender | p50 / request | p99 / request | p50 ratio to bare prom-client |',
  '|---|---|---|---|',
  ...names.map(
    (n) =>
      `| ${n} | ${fmt(stats[n].p50)} | ${fmt(stats[n].p99)} | ${(stats[n].p50 / reference.p50).toFixed(2)}× |`,
  ),
  '',
  `Targets: kit + drift ≤ 1.3× bare prom-client (${result.ratios.p50.toFixed(2)}×: ${result.ratios.p50 <= 1.3 ? 'met' : 'missed'}) and under 5 µs per request (${fmt(ours.p50)}: ${ours.p50 < 5 ? 'met' : 'missed'}).`,
  `Ours against prom-client with bound children: ${result.ratios.boundReferenceP50.toFixed(2)}×. The kit counted all ${expectedCount} requests it was given.`,
  `One scrape of the kit's registry with ${profile.features.length} drift windows: p50 ${result.scrapeMs.p50.toFixed(2)} ms.`,
].join('\n');
writeResults('metrics-serving', result, markdown);
process.stdout.write(`${markdown}\n`);
