// Feast online reads on loopback, 1/10/100/1000 entities × 3 feature views × 10 features, four contenders
// interleaved in one run (each round runs all four once, in a rotating order, on the same entity ids):
//   raw ioredis       — the floor: one ioredis pipeline of HMGET (hmgetBuffer) of exactly the keys and fields
//                       @mlops/feast plans (3 views × N entities, 10 features + _ts each); keys precomputed,
//                       no decoding. Wall time in Node.
//   @mlops/feast      — FeatureStore.getOnlineFeatures({ features, entities, fullFeatureNames }) from the built
//                       package: plan, one pipeline, decode into the columnar result. Wall time in Node.
//   Feast Python SDK  — store.get_online_features(...) timed with time.perf_counter inside a long-lived Python
//                       process (bench/feast_online_python.py worker): the in-process call, including the
//                       response proto, excluding to_dict(), interpreter start-up and the JSON-lines round trip.
//   feature server    — POST /get-online-features to a `feast serve` of the bench repo started here, node:http
//                       with a keep-alive agent, JSON body parsed. Wall time in Node (HTTP + server + JSON).
// Then, many at once: CONCURRENCY (64) callers, each asking in a closed loop for 10 random entities × 3 views,
// for a fixed time per contender (CONC_SECONDS, split into 3 slices run in a rotating order): raw ioredis (one
// pipeline per call, keys precomputed), @mlops/feast, @mlops/feast with autoPipelining (ioredis
// enableAutoPipelining: calls in flight share pipelines), and the feature server (64 keep-alive sockets).
// Data: bench/feast-repo (project mlops_bench), rows written by Feast itself (the setup step, idempotent).
// Usage: pnpm build && pnpm --filter @mlops/bench feast-online
//        [SCALE=1 (multiplies the rounds)] [SIZES=1,10,100,1000] [CONCURRENCY=64 (0 skips)] [CONC_SECONDS=9]
//        [FEAST_MODULE=<path to another build of @mlops/feast>: results go to bench/.state/, not bench/results/]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { featureFieldName, redisKey, timestampFieldName, ValueType } from '@mlops/feast/codec';
import { Redis } from 'ioredis';
import { mulberry32, percentile, writeResults } from './lib.mjs';

// FEAST_MODULE=<path> measures another build of @mlops/feast (e.g. an experimental bundle) instead of the package.
// The codecs (to write the fixture rows) always come from the package's @mlops/feast/codec: they are pure.
const feastModule = process.env.FEAST_MODULE ?? '@mlops/feast';
const { FeatureStore } = await import(
  /^[./]/.test(feastModule) ? pathToFileURL(resolve(feastModule)).href : feastModule
);

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const feastRepo = `${benchDir}feast-repo`;
const python = `${repoRoot}platform/.state/venvs/feast/bin/python`;
const pythonScript = `${benchDir}feast_online_python.py`;
const PROJECT = 'mlops_bench';
const ENTITIES = 2000; // rows in the store (feast_online_python.py ENTITIES)
const VIEWS = ['bench_a', 'bench_b', 'bench_c'];
const FEATURES = [
  'f_float_0',
  'f_float_1',
  'f_double_0',
  'f_double_1',
  'f_int64_0',
  'f_int64_1',
  'f_int32',
  'f_string',
  'f_bool',
  'f_list',
];
const REFS = VIEWS.flatMap((view) => FEATURES.map((feature) => `${view}:${feature}`));
const scale = Number(process.env.SCALE ?? 1);
const sizes = (process.env.SIZES ?? '1,10,100,1000').split(',').map(Number);
// Rounds per size: enough for a stable p50 at 100 (the target) and a bounded run on 2 cores (~2–3 minutes).
const ROUNDS = { 1: 2000, 10: 1000, 100: 600, 1000: 80 };
const WARMUP = { 1: 100, 10: 50, 100: 20, 1000: 5 };
const REQUEST_SETS = 16; // distinct random id sets per size, used in turn
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const CONC_SECONDS = Number(process.env.CONC_SECONDS ?? 9); // per contender, in 3 slices
const CONC_ENTITIES = 10;

if (!existsSync(python)) {
  throw new Error(`No feast venv at ${python}: start the platform's Feast first (pnpm platform up feast).`);
}

// ---------------------------------------------------------------- setup: Feast writes the rows (idempotent)
const setup = spawnSync(python, [pythonScript, 'setup'], { stdio: 'inherit', cwd: repoRoot });
if (setup.status !== 0) throw new Error(`bench setup failed (${setup.status})`);

// ---------------------------------------------------------------- feature server of the bench repo
const port = await freePort();
const server = spawn(
  `${repoRoot}platform/.state/venvs/feast/bin/feast`,
  // One worker, never recycled (--max-requests 0: the default 1000 restarts the worker mid-run and resets the
  // keep-alive connection), registry cached for the whole run.
  [
    'serve',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '--no-access-log',
    '-w',
    '1',
    '--max-requests',
    '0',
    '-r',
    '3600',
  ],
  { cwd: feastRepo, stdio: ['ignore', 'ignore', 'pipe'] },
);
let serverLog = '';
server.stderr.on('data', (chunk) => {
  serverLog = (serverLog + chunk).slice(-4000);
});
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

// ---------------------------------------------------------------- Python SDK worker
const worker = spawn(python, [pythonScript, 'worker'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
const workerLines = createInterface({ input: worker.stdout })[Symbol.asyncIterator]();
// On any exit, even a crash, stop the processes this benchmark started.
process.on('exit', () => {
  server.kill('SIGTERM');
  worker.kill('SIGTERM');
});
async function ask(message) {
  worker.stdin.write(`${JSON.stringify(message)}\n`);
  const { value, done } = await workerLines.next();
  if (done) throw new Error('the Python worker exited');
  const reply = JSON.parse(value);
  if (reply.error) throw new Error(`Python worker: ${reply.error}`);
  return reply;
}

const store = new FeatureStore({ repoPath: feastRepo });
const autoStore = new FeatureStore({ repoPath: feastRepo, autoPipelining: true });
const concurrentAgent = new Agent({ keepAlive: true, maxSockets: Math.max(1, CONCURRENCY) });
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 2 });
await redis.connect();

try {
  const info = await ask({ op: 'info' });
  await waitForServer();

  // ---------------------------------------------------------------- contenders
  // Per view: the 10 feature fields, then _ts:<view> (the order @mlops/feast's plan uses).
  const fields = VIEWS.map((view) => [
    ...FEATURES.map((f) => Buffer.from(featureFieldName(view, f))),
    Buffer.from(timestampFieldName(view)),
  ]);
  const keyOf = (id) =>
    Buffer.from(
      redisKey([{ joinKey: 'entity_id', valueType: ValueType.INT64, value: id }], PROJECT, { version: 3 }),
    );

  const contenders = {
    'raw ioredis': async (set) => {
      const started = performance.now();
      const pipeline = redis.pipeline();
      for (let v = 0; v < VIEWS.length; v++)
        for (const key of set.keys) pipeline.hmgetBuffer(key, ...fields[v]);
      const results = await pipeline.exec();
      const elapsed = performance.now() - started;
      if (results.length !== VIEWS.length * set.ids.length) throw new Error('raw: wrong reply count');
      return elapsed;
    },
    '@mlops/feast': async (set) => {
      const started = performance.now();
      const result = await store.getOnlineFeatures({
        features: REFS,
        entities: { entity_id: set.ids },
        fullFeatureNames: true,
      });
      const elapsed = performance.now() - started;
      if (result.rowCount !== set.ids.length) throw new Error('ours: wrong row count');
      return elapsed;
    },
    'Feast Python SDK': async (set) => {
      const reply = await ask({ op: 'get', ids: set.ids });
      if (reply.rows !== set.ids.length) throw new Error('python: wrong row count');
      return reply.ms;
    },
    'feature server (HTTP)': async (set) => {
      const body = JSON.stringify({
        features: REFS,
        entities: { entity_id: set.ids },
        full_feature_names: true,
      });
      const started = performance.now();
      const json = await postJson('/get-online-features', body);
      const elapsed = performance.now() - started;
      if (json.results.length !== REFS.length + 1) throw new Error('server: wrong column count');
      return elapsed;
    },
  };
  const names = Object.keys(contenders);

  await checkSameAnswers(keyOf);

  // ---------------------------------------------------------------- rounds
  const rng = mulberry32(20261126);
  const bySize = {};
  const started = performance.now();
  for (const size of sizes) {
    const sets = Array.from({ length: REQUEST_SETS }, () => {
      const ids = sample(rng, size);
      return { ids, keys: ids.map(keyOf) };
    });
    const rounds = Math.max(5, Math.round((ROUNDS[size] ?? 50) * scale));
    const warmup = WARMUP[size] ?? 5;
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = -warmup; round < rounds; round++) {
      const set = sets[(round + warmup) % sets.length];
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + Math.max(round, 0)) % names.length];
        const ms = await contenders[name](set);
        if (round >= 0) samples[name].push(ms);
      }
    }
    const stats = Object.fromEntries(names.map((n) => [n, stat(samples[n], size)]));
    const ours = stats['@mlops/feast'];
    bySize[size] = {
      entities: size,
      rounds,
      warmup,
      stats,
      ratios: {
        'ours/raw': ratio(ours, stats['raw ioredis']),
        'python/ours': ratio(stats['Feast Python SDK'], ours),
        'server/ours': ratio(stats['feature server (HTTP)'], ours),
      },
    };
    process.stderr.write(
      `${size} entities: ${rounds} rounds, ours/raw p50 ${bySize[size].ratios['ours/raw'].p50.toFixed(2)}× ` +
        `python/ours p50 ${bySize[size].ratios['python/ours'].p50.toFixed(1)}×\n`,
    );
  }
  const seconds = (performance.now() - started) / 1000;

  const concurrent = CONCURRENCY > 0 ? await runConcurrent(keyOf, fields) : undefined;

  // ---------------------------------------------------------------- report
  // Issue 16's targets: p50 ours/raw ≤ 1.25 (1 entity), 1.15 (10), 1.10 (100); p99 ≤ 1.5× raw's at every size;
  // under concurrency throughput ≥ 0.9× raw's, p99 ≤ 1.3× raw's, auto-pipelining above raw, ≥ 10× the server.
  const targets = {};
  for (const [size, limit] of [
    [1, 1.25],
    [10, 1.15],
    [100, 1.1],
  ]) {
    const value = bySize[size]?.ratios['ours/raw'].p50;
    if (value !== undefined) targets[`p50 ours/raw ≤ ${limit} at ${size}`] = { value, holds: value <= limit };
  }
  for (const entry of Object.values(bySize)) {
    const value = entry.ratios['ours/raw'].p99;
    targets[`p99 ours/raw ≤ 1.5 at ${entry.entities}`] = { value, holds: value <= 1.5 };
  }
  if (concurrent) {
    const c = concurrent.stats;
    const raw = c['raw ioredis'];
    const add = (name, value, holds) => {
      targets[name] = { value, holds };
    };
    const tput = c['@mlops/feast'].rowsPerSecond / raw.rowsPerSecond;
    add(`×${CONCURRENCY}: rows/s ours/raw ≥ 0.9`, tput, tput >= 0.9);
    const p99 = c['@mlops/feast'].p99 / raw.p99;
    add(`×${CONCURRENCY}: p99 ours/raw ≤ 1.3`, p99, p99 <= 1.3);
    const auto = c['@mlops/feast autoPipelining'].rowsPerSecond / raw.rowsPerSecond;
    add(`×${CONCURRENCY}: rows/s auto-pipelining/raw > 1`, auto, auto > 1);
    const server = c['@mlops/feast'].rowsPerSecond / c['feature server (HTTP)'].rowsPerSecond;
    add(`×${CONCURRENCY}: rows/s ours/feature server ≥ 10`, server, server >= 10);
  }
  const result = {
    benchmark: 'feast-online',
    runtime: `node ${process.versions.node}`,
    module: feastModule,
    feast: `feast ${info.feast}, python ${info.python}`,
    shape: {
      views: VIEWS.length,
      featuresPerView: FEATURES.length,
      storedEntities: ENTITIES,
      project: PROJECT,
    },
    seconds,
    contenders: {
      'raw ioredis':
        'ioredis pipeline() of hmgetBuffer: same keys/fields as @mlops/feast plans, keys precomputed, no decoding',
      '@mlops/feast':
        'FeatureStore.getOnlineFeatures (built package): plan + one pipeline + decode to columns',
      'Feast Python SDK':
        'store.get_online_features in a long-lived process, time.perf_counter in-process, no to_dict',
      'feature server (HTTP)':
        'POST /get-online-features, node:http keep-alive agent, JSON.parse of the body',
    },
    sizes: bySize,
    concurrent,
    targets,
  };
  const markdown = renderMarkdown(result);
  if (process.env.FEAST_MODULE) {
    // An experimental build: kept out of bench/results, next to the bench state instead.
    const name = `feast-online-${basename(feastModule).replace(/\.[cm]?js$/, '')}`;
    writeFileSync(`${benchDir}.state/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${benchDir}.state/${name}.md`, `${markdown}\n`);
  } else {
    writeResults('feast-online', result, markdown);
  }
  process.stdout.write(`${markdown}\n`);
} finally {
  worker.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
  server.kill('SIGTERM');
  agent.destroy();
  concurrentAgent.destroy();
  await store.close();
  await autoStore.close();
  redis.disconnect();
}

// ---------------------------------------------------------------- helpers

/**
 * CONCURRENCY callers in closed loops (each: 10 random distinct entities, call, repeat) for CONC_SECONDS per
 * contender, in 3 slices per contender run in a rotating order; latencies per call, rows per second overall.
 */
async function runConcurrent(keyOf, fields) {
  const keys = Array.from({ length: ENTITIES + 1 }, (_, id) => (id === 0 ? undefined : keyOf(id)));
  const contenders = {
    'raw ioredis': async (ids) => {
      const pipeline = redis.pipeline();
      for (let v = 0; v < VIEWS.length; v++)
        for (const id of ids) pipeline.hmgetBuffer(keys[id], ...fields[v]);
      const results = await pipeline.exec();
      if (results.length !== VIEWS.length * ids.length) throw new Error('raw: wrong reply count');
    },
    '@mlops/feast': async (ids) => {
      const r = await store.getOnlineFeatures({
        features: REFS,
        entities: { entity_id: ids },
        fullFeatureNames: true,
      });
      if (r.rowCount !== ids.length) throw new Error('ours: wrong row count');
    },
    '@mlops/feast autoPipelining': async (ids) => {
      const r = await autoStore.getOnlineFeatures({
        features: REFS,
        entities: { entity_id: ids },
        fullFeatureNames: true,
      });
      if (r.rowCount !== ids.length) throw new Error('ours (auto): wrong row count');
    },
    'feature server (HTTP)': async (ids) => {
      const body = JSON.stringify({ features: REFS, entities: { entity_id: ids }, full_feature_names: true });
      const json = await postJson('/get-online-features', body, concurrentAgent);
      if (json.results.length !== REFS.length + 1) throw new Error('server: wrong column count');
    },
  };
  const names = Object.keys(contenders);
  const slices = 3;
  const sliceMs = (CONC_SECONDS * 1000) / slices;
  const samples = Object.fromEntries(names.map((n) => [n, { latencies: [], calls: 0, ms: 0 }]));
  const load = [(await import('node:os')).loadavg()[0]];
  const rng = mulberry32(64);
  const slice = async (name, durationMs, record) => {
    const call = contenders[name];
    const deadline = performance.now() + durationMs;
    const started = performance.now();
    let calls = 0;
    const latencies = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const ids = sample(rng, CONC_ENTITIES);
          const t0 = performance.now();
          await call(ids);
          latencies.push(performance.now() - t0);
          calls++;
        }
      }),
    );
    if (!record) return;
    const s = samples[name];
    s.ms += performance.now() - started;
    s.calls += calls;
    for (const l of latencies) s.latencies.push(l);
  };
  for (const name of names) await slice(name, 500, false); // warm-up: connections, JIT, plan cache
  for (let round = 0; round < slices; round++) {
    for (let i = 0; i < names.length; i++) await slice(names[(i + round) % names.length], sliceMs, true);
  }
  load.push((await import('node:os')).loadavg()[0]);
  const stats = Object.fromEntries(
    names.map((name) => {
      const s = samples[name];
      const sorted = s.latencies.sort((a, b) => a - b);
      return [
        name,
        {
          calls: s.calls,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          callsPerSecond: s.calls / (s.ms / 1000),
          rowsPerSecond: (s.calls * CONC_ENTITIES) / (s.ms / 1000),
        },
      ];
    }),
  );
  process.stderr.write(
    `concurrent ×${CONCURRENCY}: ${names.map((n) => `${n} ${Math.round(stats[n].rowsPerSecond)} rows/s`).join(', ')}\n`,
  );
  return {
    callers: CONCURRENCY,
    entities: CONC_ENTITIES,
    secondsPerContender: CONC_SECONDS,
    slices,
    load,
    stats,
  };
}

function stat(samplesMs, size) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, ms) => sum + ms, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: total / sorted.length,
    // Closed loop, one request at a time: entity rows served per second of measured time.
    rowsPerSecond: (size * sorted.length) / (total / 1000),
  };
}

function ratio(a, b) {
  return { p50: a.p50 / b.p50, p99: a.p99 / b.p99 };
}

function renderMarkdown(result) {
  const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
  const rps = (v) =>
    v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
  const lines = [
    `Feast online reads, ${result.runtime}, ${result.feast}, loopback Redis, ` +
      `${result.shape.views} views × ${result.shape.featuresPerView} features, interleaved rounds ` +
      `(${result.seconds.toFixed(0)} s). Times in ms; rows/s = entity rows per second, one request at a time.`,
    '',
    '| entities | contender | p50 | p99 | rows/s | p50 vs ours | p99 vs ours |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const entry of Object.values(result.sizes)) {
    const ours = entry.stats['@mlops/feast'];
    for (const [name, s] of Object.entries(entry.stats)) {
      lines.push(
        `| ${entry.entities} | ${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${rps(s.rowsPerSecond)} | ` +
          `${(s.p50 / ours.p50).toFixed(2)}× | ${(s.p99 / ours.p99).toFixed(2)}× |`,
      );
    }
  }
  lines.push(
    '',
    '| entities | rounds | ours/raw p50 | ours/raw p99 | python/ours p50 | python/ours p99 | server/ours p50 | server/ours p99 |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const entry of Object.values(result.sizes)) {
    const r = entry.ratios;
    lines.push(
      `| ${entry.entities} | ${entry.rounds} | ${r['ours/raw'].p50.toFixed(2)}× | ${r['ours/raw'].p99.toFixed(2)}× | ` +
        `${r['python/ours'].p50.toFixed(1)}× | ${r['python/ours'].p99.toFixed(1)}× | ` +
        `${r['server/ours'].p50.toFixed(1)}× | ${r['server/ours'].p99.toFixed(1)}× |`,
    );
  }
  if (result.concurrent) {
    const c = result.concurrent;
    const raw = c.stats['raw ioredis'];
    lines.push(
      '',
      `${c.callers} concurrent callers × ${c.entities} random entities × 3 views, closed loop, ` +
        `${c.secondsPerContender} s per contender in ${c.slices} rotating slices (load average ${c.load.map((l) => l.toFixed(1)).join(' → ')}).`,
      '',
      '| contender | rows/s | calls/s | p50 | p99 | rows/s vs raw | p99 vs raw |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const [name, s] of Object.entries(c.stats)) {
      lines.push(
        `| ${name} | ${rps(s.rowsPerSecond)} | ${rps(s.callsPerSecond)} | ${ms(s.p50)} | ${ms(s.p99)} | ` +
          `${(s.rowsPerSecond / raw.rowsPerSecond).toFixed(2)}× | ${(s.p99 / raw.p99).toFixed(2)}× |`,
      );
    }
  }
  if (Object.keys(result.targets).length > 0) {
    lines.push('', 'Targets (issue 16):');
    for (const [name, t] of Object.entries(result.targets)) {
      lines.push(`- ${name}: ${t.value.toFixed(2)}× — ${t.holds ? 'holds' : 'MISSED'}`);
    }
  }
  return lines.join('\n');
}

/** Checks once, before timing, that the contenders read the same data (none of it missing). */
async function checkSameAnswers(keyOf) {
  const ids = [1, 2, 999, ENTITIES];
  const py = (await ask({ op: 'check', ids })).values;
  const ours = (
    await store.getOnlineFeatures({ features: REFS, entities: { entity_id: ids }, fullFeatureNames: true })
  ).toDict();
  const http = await postJson(
    '/get-online-features',
    JSON.stringify({ features: REFS, entities: { entity_id: ids }, full_feature_names: true }),
  );
  const norm = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
  for (const [i, ref] of REFS.entries()) {
    const name = ref.replace(':', '__');
    const a = norm(ours[name]);
    const b = norm(py[name]);
    const c = norm(http.results[i + 1].values);
    if (a !== b) throw new Error(`@mlops/feast and Feast Python disagree on ${name}: ${a} vs ${b}`);
    if (py[name].some((v) => v === null)) throw new Error(`${name} is missing in Redis: re-run the setup`);
    if (!http.results[i + 1].statuses.every((s) => s === 'PRESENT'))
      throw new Error(`server: ${name} not PRESENT (${c})`);
  }
  const replies = await redis
    .pipeline(ids.map((id) => ['hmgetBuffer', keyOf(id), Buffer.from(timestampFieldName('bench_a'))]))
    .exec();
  if (replies.some(([err, reply]) => err || reply[0] === null)) throw new Error('raw: _ts missing');
}

function postJson(path, body, via = agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: via,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`feature server ${res.statusCode}: ${text.slice(0, 500)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForServer() {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`feast serve exited (${server.exitCode}): ${serverLog}`);
    const ok = await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`feast serve did not become healthy on port ${port}: ${serverLog}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
}

/** `size` distinct entity ids in 1..ENTITIES, random order. */
function sample(next, size) {
  const ids = new Set();
  while (ids.size < size) ids.add(1 + Math.floor(next() * ENTITIES));
  return [...ids];
}
