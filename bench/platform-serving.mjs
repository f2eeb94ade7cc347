// The serving path of @mlops/platform — createPredictor's predict(): online features from Redis, signature
// check, ONNX model run, serving metrics and drift — against the sum of its parts measured separately in the same
// run: the same online read alone (@mlops/feast getOnlineFeatures) and the same model run alone (onnxruntime-node
// on a prepared tensor). Each contender runs under CONCURRENCY (64) callers at once, in rotating order per round.
// Target (issue 14): serving p50 and p99 ≤ 1.10 × (features + model) at p50 and at p99.
// Usage: pnpm build && pnpm --filter @mlops/bench platform-serving
// Env: ROUNDS (default 6), REQUESTS per caller per round (default 20), CONCURRENCY (64), DRIVERS (256),
//      MODEL (a models:/ URI to reuse instead of training one with platform/training/train.py),
//      ONLY (run only the contenders whose name starts with it, e.g. for a CPU profile).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPlatform, createPredictor, ONNX_SESSION_DEFAULTS } from '@mlops/platform';
import { tableToIPC } from 'apache-arrow';
import * as ort from 'onnxruntime-node';
import { mulberry32, summarise, writeResults } from './lib.mjs';

const rounds = Number(process.env.ROUNDS ?? 6);
const perCaller = Number(process.env.REQUESTS ?? 20);
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const driverCount = Number(process.env.DRIVERS ?? 256);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const python = join(root, 'platform/.state/venvs/training/bin/python');
const features = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
];
const random = mulberry32(14);

const platform = createPlatform({ feast: { repoPath: join(root, 'platform/feast') } });

// ---- the model: trained on a real training set by the platform's train.py, unless MODEL names one
let model = process.env.MODEL;
if (!model) {
  const anchor = Date.parse('2026-01-01T00:00:00Z');
  const ids = [];
  const times = [];
  for (let k = 0; k < 28; k++)
    for (let d = 1001; d <= 1010; d++) {
      ids.push(BigInt(d));
      times.push(new Date(anchor - k * 6 * 3600_000 + 60_000));
    }
  const job = await platform.feast.getHistoricalFeatures({
    entityDf: { driver_id: ids, event_timestamp: times },
    features,
  });
  const file = join(mkdtempSync(join(tmpdir(), 'bench-serving-')), 'train.arrow');
  writeFileSync(file, tableToIPC(await job.toArrow(), 'file'));
  const name = `bench-serving-${Date.now().toString(36)}`;
  console.error(`training ${name} with platform/training/train.py ...`);
  const out = execFileSync(
    python,
    [
      join(root, 'platform/training/train.py'),
      '--input',
      file,
      '--derive-label',
      '--experiment',
      'bench-serving',
      '--register',
      name,
      '--alias',
      'champion',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  JSON.parse(out.trim().split('\n').at(-1));
  model = `models:/${name}@champion`;
}

// ---- online rows under fresh int64 ids
const base = 2n ** 61n + BigInt(Date.now()) * 1000n;
const drivers = Array.from({ length: driverCount }, (_, i) => ({
  driver_id: base + BigInt(i),
  conv_rate: random(),
  acc_rate: random(),
  avg_daily_trips: BigInt(Math.floor(random() * 1000)),
  event_timestamp: new Date(),
}));
await platform.feast.writeToOnlineStore('driver_hourly_stats', drivers);

const predictor = await createPredictor(platform, {
  model,
  features,
  entityKeys: ['driver_id'],
  refreshIntervalMs: 0,
});
// For reference: the same predictor code with batching off (every call reads and runs alone).
const unbatched = await createPredictor(platform, {
  model,
  features,
  entityKeys: ['driver_id'],
  refreshIntervalMs: 0,
  batching: false,
  metrics: false,
});
const check = await predictor.predict([{ driver_id: drivers[0].driver_id }]);
if (check.statuses[0].conv_rate !== 'PRESENT') throw new Error('the seeded features are not served');

// ---- the parts, set up as the predictor does them
const modelDir = mkdtempSync(join(tmpdir(), 'bench-serving-model-'));
await platform.mlflow.downloadModel(predictor.model.uri, modelDir);
// The same session options the predictor uses.
const session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'), { ...ONNX_SESSION_DEFAULTS });
const inputName = session.inputNames[0];
const tensorFor = (d) =>
  new ort.Tensor('float32', Float32Array.from([d.conv_rate, d.acc_rate, Number(d.avg_daily_trips)]), [1, 3]);

const pick = () => drivers[Math.floor(random() * drivers.length)];
const contenders = {
  'serving path (predict)': async () => {
    await predictor.predict([{ driver_id: pick().driver_id }]);
  },
  'serving path, batching off (info)': async () => {
    await unbatched.predict([{ driver_id: pick().driver_id }]);
  },
  'online features alone': async () => {
    await platform.feast.getOnlineFeatures({
      features,
      entityRows: [{ driver_id: pick().driver_id }],
      fullFeatureNames: true,
    });
  },
  'model run alone': async () => {
    await session.run({ [inputName]: tensorFor(pick()) });
  },
};

/** `concurrency` callers, each making `perCaller` calls in a row; per-call latencies and the wall time. */
async function burst(fn) {
  const samples = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perCaller; i++) {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

const names = Object.keys(contenders).filter((n) => !process.env.ONLY || n.startsWith(process.env.ONLY));
const samples = Object.fromEntries(names.map((n) => [n, []]));
const wall = Object.fromEntries(names.map((n) => [n, 0]));
for (let round = -1; round < rounds; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + Math.max(round, 0)) % names.length];
    const r = await burst(contenders[name]);
    if (round < 0) continue; // warm-up
    samples[name].push(...r.samples);
    wall[name] += r.wallMs;
  }
}

const stats = Object.fromEntries(
  names.map((n) => {
    const s = summarise(samples[n]);
    return [n, { ...s, throughput: (s.n / wall[n]) * 1000 }];
  }),
);
const serving = stats['serving path (predict)'];
const feats = stats['online features alone'];
const run = stats['model run alone'];
const off = stats['serving path, batching off (info)'];
const ratio = {
  p50: serving.p50 / (feats.p50 + run.p50),
  p99: serving.p99 / (feats.p99 + run.p99),
};
const verdict = (r) => (r <= 1.1 ? 'met' : 'MISSED');
const fmt = (x, d = 2) => x.toFixed(d);
const rows = names.map(
  (n) =>
    `| ${n} | ${stats[n].n} | ${fmt(stats[n].p50)} | ${fmt(stats[n].p99)} | ${fmt(stats[n].throughput, 0)} |`,
);
const markdown = [
  `# platform-serving (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${concurrency} concurrent callers, ${rounds} rounds × ${perCaller} calls per caller)`,
  '',
  `Model \`${predictor.model.uri}\` (${predictor.model.flavor}, inputs ${predictor.model.inputs.join(', ')}), one entity row per call.`,
  '',
  `Load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(
      ' / ',
    )} on ${availableParallelism()} cores, shared with other work: quote the ratios, not the milliseconds.`,
  '',
  '| contender | calls | p50 ms | p99 ms | calls/s |',
  '|---|---:|---:|---:|---:|',
  ...rows,
  '',
  `- serving p50 / (features p50 + model p50) = ${fmt(ratio.p50, 3)} (target ≤ 1.10: ${verdict(ratio.p50)})`,
  `- serving p99 / (features p99 + model p99) = ${fmt(ratio.p99, 3)} (target ≤ 1.10: ${verdict(ratio.p99)})`,
  `- with batching off (and no metrics), p50 ratio ${fmt(off.p50 / (feats.p50 + run.p50), 3)}, p99 ratio ${fmt(off.p99 / (feats.p99 + run.p99), 3)}: one read and one run per call, interleaved, do not add up to the parts measured alone (the parts alone pipeline their Redis reads; onnxruntime-node runs synchronously on the event loop)`,
].join('\n');
console.log(markdown);
writeResults(
  'platform-serving',
  {
    date: new Date().toISOString(),
    node: process.version,
    concurrency,
    loadavg: loadavg(),
    rounds,
    perCaller,
    model: predictor.model.uri,
    stats,
    ratio,
    target: 1.1,
    met: { p50: ratio.p50 <= 1.1, p99: ratio.p99 <= 1.1 },
  },
  markdown,
);
await session.release();
await predictor.close();
await unbatched.close();
await platform.close();
