// Log shipping: LINES (default 1M) ECS lines from pino + @elastic/ecs-pino-format into the platform's real
// Elasticsearch 8.19 (`pnpm platform up elasticsearch`), @mlops/metrics' LogShipper vs pino-elasticsearch
// (helpers.bulk of @elastic/elasticsearch 8.19), same logger, same batch size. Each run is a child process (so
// its RSS is its own), in a rotating order over ROUNDS rounds; every run writes into its own data stream and
// the lines are counted back with `_count`: a run that lost a line fails the benchmark.
//
//   pnpm build && pnpm --filter @mlops/bench metrics-logs
//   LINES=100000 ROUNDS=1 pnpm --filter @mlops/bench metrics-logs      # quick run
// Env: LINES, ROUNDS (default 2), FLUSH_BYTES (default 2 MiB, both contenders), MAX_BUFFER_MB (ours, default 32),
// CONCURRENCY (ours, default 4 = the shipper's default), DEDUPE (ours: event-id (default) | document-id | off),
// ELASTICSEARCH_URL (default http://127.0.0.1:9200).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { writeResults } from './lib.mjs';

const LINES = Number(process.env.LINES ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const FLUSH_BYTES = Number(process.env.FLUSH_BYTES ?? 2 * 1024 * 1024);
const MAX_BUFFER_MB = Number(process.env.MAX_BUFFER_MB ?? 32);
const ES = process.env.ELASTICSEARCH_URL || 'http://127.0.0.1:9200';
const CHUNK = 1000;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const DEDUPE = process.env.DEDUPE ?? 'event-id';

async function es(path, init) {
  const res = await fetch(`${ES}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// ---------------------------------------------------------------- child: one contender, one run
async function child(contender, dataStream) {
  const { default: pino } = await import('pino');
  const { ecsFormat } = await import('@elastic/ecs-pino-format');
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const ecs = ecsFormat({ serviceName: 'bench-api', serviceVersion: '1.0.0', serviceEnvironment: 'bench' });
  const started = performance.now();
  let stats;
  if (contender === 'ours') {
    const { createEcsLogger, LogShipper } = await import('@mlops/metrics');
    const shipper = new LogShipper({
      elasticsearchUrl: ES,
      dataStream,
      flushBytes: FLUSH_BYTES,
      maxBufferBytes: MAX_BUFFER_MB * 1024 * 1024,
      flushTimeoutMs: 600_000,
      concurrency: CONCURRENCY,
      dedupe: DEDUPE,
    });
    const log = createEcsLogger({
      service: { name: 'bench-api', version: '1.0.0', environment: 'bench' },
      destination: shipper,
    });
    for (let i = 0; i < LINES; i++) {
      log.info(
        { seq: i, labels: { model: 'churn', model_version: '3' }, latency_ms: i % 250 },
        'prediction served',
      );
      if (i % CHUNK === CHUNK - 1) await shipper.waitForCapacity();
    }
    await shipper.close({ timeoutMs: 600_000 });
    stats = shipper.stats();
  } else {
    const { default: pinoElastic } = await import('pino-elasticsearch');
    const stream = pinoElastic({
      node: ES,
      index: dataStream,
      opType: 'create',
      esVersion: 8,
      flushBytes: FLUSH_BYTES,
      flushInterval: 1000,
    });
    const inserted = new Promise((resolve, reject) => {
      stream.on('insert', resolve);
      stream.on('error', reject);
    });
    let dropped = 0;
    stream.on('insertError', () => dropped++);
    const log = pino({ ...ecs, level: 'info' }, stream);
    for (let i = 0; i < LINES; i++) {
      log.info(
        { seq: i, labels: { model: 'churn', model_version: '3' }, latency_ms: i % 250 },
        'prediction served',
      );
      if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
    }
    stream.end();
    const result = await inserted;
    stats = { ...result, dropped };
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stdout.write(`${JSON.stringify({ seconds, peakRssMb: peakRss / 2 ** 20, stats })}\n`);
}

function runChild(contender, dataStream) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', contender, dataStream], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${contender} run exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

// ---------------------------------------------------------------- parent
async function main() {
  try {
    await es('/_cluster/health');
  } catch (error) {
    throw new Error(
      `Elasticsearch is not reachable at ${ES}: run \`pnpm platform up elasticsearch\`. (${error})`,
    );
  }
  const run = randomBytes(3).toString('hex');
  // One template for both contenders' data streams: the one LogShipper.ensureIndexTemplate() writes.
  const { ecsIndexTemplate } = await import('@mlops/metrics');
  await es(`/_index_template/mlops-bench-logs-${run}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ecsIndexTemplate({ indexPatterns: [`logs-mlopsbench.${run}*`] })),
  });
  const contenders = ['ours', 'pino-elasticsearch'];
  const runs = { ours: [], 'pino-elasticsearch': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length];
      const dataStream = `logs-mlopsbench.${run}.${contender.replace(/[^a-z]/g, '')}${round}-default`;
      const result = await runChild(contender, dataStream);
      await es(`/${dataStream}/_refresh`, { method: 'POST' });
      const { count } = await es(`/${dataStream}/_count`);
      result.stored = count;
      result.linesPerSecond = LINES / result.seconds;
      runs[contender].push(result);
      console.error(
        `round ${round} ${contender}: ${result.seconds.toFixed(1)} s, ${Math.round(result.linesPerSecond)} lines/s, stored ${count}/${LINES}, peak RSS ${result.peakRssMb.toFixed(0)} MB`,
      );
      if (count !== LINES)
        throw new Error(`${contender} lost ${LINES - count} of ${LINES} lines (data stream ${dataStream})`);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const row = (name) => ({
    linesPerSecond: median(runs[name].map((r) => r.linesPerSecond)),
    seconds: median(runs[name].map((r) => r.seconds)),
    peakRssMb: Math.max(...runs[name].map((r) => r.peakRssMb)),
    lost: Math.max(...runs[name].map((r) => LINES - r.stored)),
  });
  const ours = row('ours');
  const ref = row('pino-elasticsearch');
  const ratio = ours.linesPerSecond / ref.linesPerSecond;
  const md = [
    `Log shipping: ${LINES.toLocaleString('en')} ECS lines into Elasticsearch 8.19.21 (${ES}), ${ROUNDS} round(s), median; flushBytes ${FLUSH_BYTES} for both; our queue bound ${MAX_BUFFER_MB} MiB, concurrency ${CONCURRENCY}, dedupe ${DEDUPE}.`,
    '',
    '| contender | lines/s | time (s) | peak RSS (MB) | lost lines |',
    '|---|---:|---:|---:|---:|',
    `| @mlops/metrics LogShipper | ${Math.round(ours.linesPerSecond)} | ${ours.seconds.toFixed(1)} | ${ours.peakRssMb.toFixed(0)} | ${ours.lost} |`,
    `| pino-elasticsearch 9.0.0 | ${Math.round(ref.linesPerSecond)} | ${ref.seconds.toFixed(1)} | ${ref.peakRssMb.toFixed(0)} | ${ref.lost} |`,
    '',
    `Throughput ratio (ours / pino-elasticsearch): **${ratio.toFixed(2)}×** (target ≥ 1.5×).`,
  ].join('\n');
  console.log(md);
  writeResults(
    'metrics-logs',
    {
      lines: LINES,
      rounds: ROUNDS,
      flushBytes: FLUSH_BYTES,
      maxBufferMb: MAX_BUFFER_MB,
      ours,
      reference: ref,
      ratio,
      runs,
    },
    md,
  );
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
