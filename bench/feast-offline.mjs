// Feast historical retrieval (point-in-time joins) from PostgreSQL into Arrow: 10k, 100k and 1M entity rows
// × 2 feature views of 1M feature rows each (4 features each), three contenders on the same entity rows,
// rotated round by round:
//   @mlops/feast   — (await store.getHistoricalFeatures({ entityDf: <Arrow table>, features, fullFeatureNames }))
//                    .toArrow(), in a fresh Node process per measurement (so its peak RSS is that run's alone),
//                    after an untimed one-row warm-up. Wall time: frame preparation, entity upload (COPY
//                    binary into a temporary table + ANALYZE), the query, the transfer (COPY binary) and the
//                    decoding into Arrow.
//   Feast Python   — store.get_historical_features(entity_df=<pandas>, ...).to_arrow() in a fresh Python
//                    process per measurement (bench/feast_offline_python.py run), after an untimed one-row
//                    warm-up; time.perf_counter around the call, peak RSS from getrusage.
//   floor          — PostgreSQL executing our point-in-time query (job.toSQL()) with the result discarded:
//                    the same entity rows in a temporary table (untimed), then EXPLAIN (ANALYZE, TIMING OFF,
//                    SUMMARY ON) of the query. PostgreSQL's "Execution Time" is what the ratio uses.
// Then, once: where our time goes at the largest size (each step of one run, timestamped), and streaming
// STREAM_ROWS (default 10M) entity rows given as SQL through job.stream() in a fresh process (peak RSS).
// Data: bench/feast-offline-repo (project mlops_bench_offline), tables generated in SQL by
// `feast_offline_python.py setup` (idempotent), indexes made with store.createOfflineIndexes.
// Usage: pnpm build && pnpm --filter @mlops/bench feast-offline
//        [SIZES=10000,100000,1000000] [REPS=<ours and floor runs per size>] [FEAST_REPS=<Feast runs per size>]
//        [FEAST_TIMEOUT_S=900] [STREAM_ROWS=10000000 (0 skips)] [BREAKDOWN=1 (0 skips)]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FeatureStore } from '@mlops/feast';
import { mulberry32, percentile, writeResults } from './lib.mjs';

// apache-arrow and pg exactly as @mlops/feast resolves them (the bench does not depend on them itself).
const feastRequire = createRequire(fileURLToPath(import.meta.resolve('@mlops/feast')));
const arrow = await import(
  pathToFileURL(join(dirname(feastRequire.resolve('apache-arrow')), 'Arrow.node.mjs')).href
);
const pg = feastRequire('pg');

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const stateDir = `${benchDir}.state/`;
const feastRepo = `${benchDir}feast-offline-repo`;
const python = `${repoRoot}platform/.state/venvs/feast/bin/python`;
const pythonScript = `${benchDir}feast_offline_python.py`;
const MARKER = '@@RESULT@@';
const PG = { host: '127.0.0.1', port: 5432, database: 'feast', user: 'postgres' };
const VIEWS = ['offline_a', 'offline_b'];
const FEATURE_NAMES = ['f_float4', 'f_float8', 'f_int8', 'f_text'];
const FEATURES = VIEWS.flatMap((v) => FEATURE_NAMES.map((f) => `${v}:${f}`));
const OUTPUT_COLUMNS = FEATURES.map((ref) => ref.replace(':', '__'));
// The data's time range (feast_offline_python.py): versions on days 0..9 from T0. Entity rows fall from a day
// before T0 to 13 days after it, so some find nothing (before the first version, or beyond the 2-day TTL).
const T0_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const ENTITY_FROM_MS = T0_MS - DAY_MS;
const ENTITY_SPAN_MS = 14 * DAY_MS;
const DRIVERS = 100_000;
const SEED = 20261126;

let externalKills = 0;
const mode = process.argv[2];
if (mode === '--ours') await childOurs(process.argv[3]);
else if (mode === '--stream') await childStream(Number(process.argv[3]));
else if (mode === '--breakdown') await childBreakdown(process.argv[3]);
else await main();

// ---------------------------------------------------------------- the run

async function main() {
  const sizes = (process.env.SIZES ?? '10000,100000,1000000').split(',').map(Number);
  const streamRows = Number(process.env.STREAM_ROWS ?? 10_000_000);
  const feastTimeoutS = Number(process.env.FEAST_TIMEOUT_S ?? 900);
  // Runs per size: 5 of ours and the floor (3 at 1M, where one takes ~10-20 s), 3 of Feast Python (~1 min at 1M).
  const reps = (size) => {
    const ours = Number(process.env.REPS ?? (size >= 1_000_000 ? 3 : 5));
    const feast = Number(process.env.FEAST_REPS ?? 3);
    return { '@mlops/feast': ours, 'Feast Python': feast, floor: ours };
  };
  if (!existsSync(python)) {
    throw new Error(`No feast venv at ${python}: start the platform's Feast first (pnpm platform up feast).`);
  }
  const started = performance.now();
  const loadBefore = load();

  // ---------------------------------------------------------------- setup (idempotent)
  const setup = spawnSync(python, [pythonScript, 'setup'], { stdio: 'inherit', cwd: repoRoot });
  if (setup.status !== 0) throw new Error(`bench setup failed (${setup.status})`);
  const store = new FeatureStore({ repoPath: feastRepo });
  // fullFeatureNames is not part of this call's type, but without it the plan refuses the two views' equal
  // feature names (f_float4 in both) before it gets to the indexes.
  const indexRequest = { features: FEATURES, fullFeatureNames: true };
  const indexStatements = await store.createOfflineIndexes(indexRequest);
  for (const sql of indexStatements) process.stderr.write(`created: ${sql}\n`);
  const indexes = (await store.offlineIndexes(indexRequest)).map((i) => ({
    table: i.table,
    columns: i.columns.join(', '),
    exists: i.exists,
  }));
  if (indexes.some((i) => !i.exists))
    throw new Error('an offline index is missing after createOfflineIndexes');
  const info = await runChild(python, [pythonScript, 'info'], 60);
  mkdirSync(stateDir, { recursive: true });
  const files = Object.fromEntries(sizes.map((size) => [size, ensureEntityFile(size)]));

  const floorClient = new pg.Client({ ...PG, application_name: 'mlops-bench-floor' });
  await floorClient.connect();
  const bySize = {};
  try {
    for (const size of sizes) {
      const file = files[size];
      const table = arrow.tableFromIPC(readFileSync(file));
      // The query is built per job (its temporary table's name is random); the floor takes it from toSQL().
      const job = await store.getHistoricalFeatures({
        entityDf: table,
        features: FEATURES,
        fullFeatureNames: true,
      });
      const floorSql = parseJobSql(job.toSQL());
      const wanted = reps(size);
      const samples = { '@mlops/feast': [], 'Feast Python': [], floor: [] };
      const checks = {};
      let plan;
      let feastCapped;
      const contenders = {
        '@mlops/feast': async () => {
          const r = await runOurChild(['--ours', file], 1800);
          checks['@mlops/feast'] ??= r;
          return r;
        },
        'Feast Python': async () => {
          const r = await runChild(python, [pythonScript, 'run', file], feastTimeoutS).catch((error) => {
            if (!error.timedOut) throw error;
            feastCapped = `killed after ${feastTimeoutS} s`;
            return undefined;
          });
          if (r) checks['Feast Python'] ??= r;
          return r;
        },
        floor: async () => {
          const r = await runFloor(floorClient, floorSql, table, checks.floor === undefined);
          if (checks.floor === undefined) {
            checks.floor = r;
            plan = r.plan;
          }
          return r;
        },
      };
      const rounds = Math.max(...Object.values(wanted));
      for (let round = 0; round < rounds; round++) {
        const names = Object.keys(contenders).filter(
          (n) => samples[n].length < wanted[n] && !(n === 'Feast Python' && feastCapped),
        );
        for (let i = 0; i < names.length; i++) {
          const name = names[(i + round) % names.length];
          const r = await contenders[name]();
          if (r) samples[name].push(r);
          process.stderr.write(
            `${size} rows, round ${round + 1}/${rounds}, ${name}: ${r ? `${fmtMs(r.ms)} ms` : feastCapped}` +
              `${r?.wallMs !== undefined ? ` (wall ${fmtMs(r.wallMs)} ms)` : ''}` +
              `${r?.peakKb || r?.maxRssAfterKb ? `, peak RSS ${mb(r.peakKb ?? r.maxRssAfterKb)} MB` : ''}\n`,
          );
        }
      }
      const same = checkSameResults(size, checks);
      bySize[size] = summariseSize(size, samples, same, feastCapped, plan);
    }
  } finally {
    await floorClient.end();
    await store.close();
  }

  const largest = Math.max(...sizes);
  const breakdown =
    process.env.BREAKDOWN === '0' ? undefined : await runOurChild(['--breakdown', files[largest]], 1800);
  const stream = streamRows > 0 ? await runOurChild(['--stream', String(streamRows)], 3600) : undefined;

  const at1M = bySize[1_000_000];
  const targets = {};
  if (at1M) {
    const speedup = at1M.ratios['Feast/ours'];
    targets['Feast Python / ours ≥ 3 at 1M'] = { value: speedup, holds: speedup >= 3 };
    targets['ours / floor ≤ 1.5 at 1M'] = {
      value: at1M.ratios['ours/floor'],
      holds: at1M.ratios['ours/floor'] <= 1.5,
    };
  }
  if (stream) {
    targets[`streaming ${stream.rows} rows: peak RSS < 300 MB`] = {
      value: stream.peakKb / 1024,
      holds: stream.peakKb / 1024 < 300,
    };
  }
  const result = {
    benchmark: 'feast-offline',
    runtime: `node ${process.versions.node}`,
    feast: `feast ${info.feast}, python ${info.python}`,
    postgres: (await pgVersion()).replace(/ on .*/, ''),
    machine: {
      cpus: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      loadBefore,
      loadAfter: load(),
    },
    shape: {
      views: VIEWS.length,
      featuresPerView: FEATURE_NAMES.length,
      featureRowsPerView: DRIVERS * 10,
      drivers: DRIVERS,
      ttl: '2 days',
      project: 'mlops_bench_offline',
    },
    entityDf:
      'ours: apache-arrow Table read from the IPC file (reading untimed); Feast: pandas DataFrame of the same file',
    indexes,
    seconds: (performance.now() - started) / 1000,
    externalKills,
    sizes: bySize,
    breakdown,
    stream,
    targets,
  };
  const markdown = renderMarkdown(result);
  writeResults('feast-offline', result, markdown);
  process.stdout.write(`${markdown}\n`);
}

async function pgVersion() {
  const client = new pg.Client(PG);
  await client.connect();
  try {
    return (await client.query('SELECT version() AS v')).rows[0].v;
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- entity rows

/** Entity rows of one size, written once to an Arrow IPC file (driver_id int64, event_timestamp µs UTC). */
function ensureEntityFile(size) {
  const file = `${stateDir}offline-entities-${size}-${SEED}.arrow`;
  if (existsSync(file)) return file;
  const next = mulberry32(SEED ^ size);
  const ids = new BigInt64Array(size);
  const micros = new BigInt64Array(size);
  for (let i = 0; i < size; i++) {
    ids[i] = BigInt(1 + Math.floor(next() * DRIVERS));
    micros[i] = BigInt(ENTITY_FROM_MS + Math.floor(next() * ENTITY_SPAN_MS)) * 1000n;
  }
  const table = new arrow.Table({
    driver_id: arrow.makeVector(ids),
    event_timestamp: arrow.makeVector(
      arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: size, data: micros }),
    ),
  });
  writeFileSync(`${file}.tmp`, arrow.tableToIPC(table, 'file'));
  renameSync(`${file}.tmp`, file);
  return file;
}

// ---------------------------------------------------------------- contenders

/** Untimed warm-up with one row: registry, connection pool, module code. */
async function warmUp(store, table) {
  const job = await store.getHistoricalFeatures({
    entityDf: table.slice(0, 1),
    features: FEATURES,
    fullFeatureNames: true,
  });
  await job.toArrow();
}

/** A fresh process: ours, on the entity rows of one file. */
async function childOurs(file) {
  const table = arrow.tableFromIPC(readFileSync(file));
  const store = new FeatureStore({ repoPath: feastRepo });
  try {
    await warmUp(store, table);
    const maxRssBeforeKb = process.resourceUsage().maxRSS;
    const rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
    const started = performance.now();
    const job = await store.getHistoricalFeatures({
      entityDf: table,
      features: FEATURES,
      fullFeatureNames: true,
    });
    const result = await job.toArrow();
    const ms = performance.now() - started;
    const peakKb = process.resourceUsage().maxRSS;
    reply({
      ms,
      rows: result.numRows,
      nonNull: nonNullCounts(result),
      peakKb,
      maxRssBeforeKb,
      rssBeforeKb,
    });
  } finally {
    await store.close();
  }
}

/**
 * The floor: the same entity rows in a temporary table of the same name and columns (untimed), then
 * EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of our query, whose result PostgreSQL computes and discards.
 */
async function runFloor(client, { table, settings, query }, entities, withChecks) {
  const ids = entities.getChild('driver_id').toArray();
  const micros = entities.getChild('event_timestamp').toArray();
  await client.query('BEGIN');
  try {
    for (const statement of settings) await client.query(statement);
    await client.query(
      `CREATE TEMPORARY TABLE ${table} ("__mlops_row" bigint, "driver_id" bigint, "event_timestamp" timestamptz) ON COMMIT DROP`,
    );
    await client.query(
      `INSERT INTO ${table}
       SELECT u.ord - 1, u.id, timestamptz 'epoch' + u.us * interval '1 microsecond'
         FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(id, us, ord)`,
      [`{${ids.join(',')}}`, `{${micros.join(',')}}`],
    );
    await client.query(`ANALYZE ${table}`);
    const started = performance.now();
    const explained = await client.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) ${query}`);
    const wallMs = performance.now() - started;
    const plan = explained.rows.map((r) => r['QUERY PLAN']).join('\n');
    const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]);
    const rows = Number(/rows=(\d+)/.exec(plan.split('\n')[0])?.[1]);
    let nonNull;
    if (withChecks) {
      const counts = await client.query(
        `SELECT ${OUTPUT_COLUMNS.map((c, i) => `count("${c}") AS c${i}`).join(', ')} FROM (${query}) AS q`,
      );
      nonNull = Object.fromEntries(OUTPUT_COLUMNS.map((c, i) => [c, Number(counts.rows[0][`c${i}`])]));
    }
    await client.query('COMMIT');
    return { ms, wallMs, rows, nonNull, plan };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** The parts of job.toSQL(): the temporary table's name, the set_config statements, the query. */
function parseJobSql(sql) {
  const lines = sql.split('\n');
  const table = /temporary table ("mlops_entity_df_[0-9a-f]+")/.exec(lines[0])?.[1];
  const settings = lines.filter((l) => l.startsWith('SELECT set_config('));
  const query = lines
    .slice(1 + settings.length)
    .join('\n')
    .replace(/;\s*$/, '');
  if (!table || !query.startsWith('SELECT')) throw new Error(`unexpected toSQL() output:\n${sql}`);
  return { table, settings, query };
}

/** Fails loudly unless the three contenders returned the same rows and non-null feature counts. */
function checkSameResults(size, checks) {
  const out = {};
  for (const [name, r] of Object.entries(checks)) {
    if (r.rows !== size) throw new Error(`${name} returned ${r.rows} rows for ${size} entity rows`);
    out[name] = r.nonNull;
  }
  const ours = JSON.stringify(out['@mlops/feast']);
  for (const [name, counts] of Object.entries(out)) {
    if (counts && JSON.stringify(counts) !== ours) {
      throw new Error(
        `${size} rows: non-null counts differ, ours ${ours} vs ${name} ${JSON.stringify(counts)}`,
      );
    }
  }
  return { rows: size, nonNull: out['@mlops/feast'], comparedWith: Object.keys(out).join(', ') };
}

function summariseSize(size, samples, same, feastCapped, plan) {
  const stat = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { n: sorted.length, p50: percentile(sorted, 50), min: sorted[0], max: sorted.at(-1) };
  };
  const ours = stat(samples['@mlops/feast'].map((r) => r.ms));
  const feast =
    samples['Feast Python'].length > 0 ? stat(samples['Feast Python'].map((r) => r.ms)) : undefined;
  const floor = stat(samples.floor.map((r) => r.ms));
  const floorWall = stat(samples.floor.map((r) => r.wallMs));
  const maxOf = (list, key) => Math.max(...list.map((r) => r[key]));
  return {
    entityRows: size,
    stats: { '@mlops/feast': ours, 'Feast Python': feast, floor, 'floor (wall)': floorWall },
    memory: {
      '@mlops/feast': {
        peakKb: maxOf(samples['@mlops/feast'], 'peakKb'),
        maxRssBeforeKb: maxOf(samples['@mlops/feast'], 'maxRssBeforeKb'),
      },
      'Feast Python': feast
        ? {
            peakKb: maxOf(samples['Feast Python'], 'maxRssAfterKb'),
            maxRssBeforeKb: maxOf(samples['Feast Python'], 'maxRssBeforeKb'),
          }
        : undefined,
    },
    ratios: {
      'Feast/ours': feast ? feast.p50 / ours.p50 : undefined,
      'ours/floor': ours.p50 / floor.p50,
    },
    feastCapped,
    same,
    floorPlan: plan,
  };
}

// ---------------------------------------------------------------- breakdown and streaming (child processes)

/**
 * One run at full size with each step timestamped: every query @mlops/feast sends through pg (wall, Node CPU,
 * and the PostgreSQL backend's CPU read from /proc), the bytes and first byte of the result's COPY.
 */
async function childBreakdown(file) {
  const table = arrow.tableFromIPC(readFileSync(file));
  const store = new FeatureStore({ repoPath: feastRepo });
  const steps = [];
  const original = pg.Client.prototype.query;
  const backendCpuMs = (pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks a second
    } catch {
      return Number.NaN;
    }
  };
  let recording = false;
  pg.Client.prototype.query = function (config, values, callback) {
    const out = original.call(this, config, values, callback);
    if (!recording) return out;
    const text = typeof config === 'string' ? config : (config?.text ?? config?.constructor?.name ?? '?');
    const pid = this.processID;
    const step = {
      what: String(text).replace(/\s+/g, ' ').slice(0, 70),
      startMs: performance.now(),
      cpu: process.cpuUsage(),
      pgCpu: backendCpuMs(pid),
    };
    steps.push(step);
    const done = () => {
      step.endMs = performance.now();
      const cpu = process.cpuUsage(step.cpu);
      step.nodeCpuMs = (cpu.user + cpu.system) / 1000;
      step.pgCpuMs = backendCpuMs(pid) - step.pgCpu;
    };
    if (out && typeof out.then === 'function') out.then(done, done);
    else if (config && typeof config.on === 'function') {
      // A COPY stream (pg-copy-streams): it ends with 'end' (TO STDOUT, readable) or 'finish' (FROM STDIN).
      if (typeof config.push === 'function') {
        step.bytes = 0;
        const push = config.push.bind(config);
        config.push = (chunk) => {
          if (chunk) {
            step.firstByteMs ??= performance.now();
            step.bytes += chunk.length;
          }
          return push(chunk);
        };
        config.once('end', done);
      } else {
        config.once('finish', done);
      }
    }
    return out;
  };
  try {
    await warmUp(store, table);
    recording = true;
    const t0 = performance.now();
    const job = await store.getHistoricalFeatures({
      entityDf: table,
      features: FEATURES,
      fullFeatureNames: true,
    });
    const prepared = performance.now();
    const result = await job.toArrow();
    const t1 = performance.now();
    recording = false;
    pg.Client.prototype.query = original;
    const explain = await job.explain({ analyze: true });
    const rel = (ms) => (ms === undefined ? undefined : Math.round((ms - t0) * 10) / 10);
    reply({
      rows: result.numRows,
      totalMs: t1 - t0,
      prepareMs: prepared - t0,
      steps: steps.map((s) => ({
        what: s.what,
        startMs: rel(s.startMs),
        endMs: rel(s.endMs),
        ms: s.endMs - s.startMs,
        nodeCpuMs: s.nodeCpuMs,
        pgCpuMs: s.pgCpuMs,
        ...(s.bytes !== undefined ? { bytes: s.bytes, firstByteMs: rel(s.firstByteMs) } : {}),
      })),
      explainAnalyze: explain,
    });
  } finally {
    pg.Client.prototype.query = original;
    await store.close();
  }
}

/** A fresh process: `rows` entity rows given as SQL, read through job.stream(), counted, never kept. */
async function childStream(rows) {
  const store = new FeatureStore({ repoPath: feastRepo });
  try {
    const entityDf = `SELECT (1 + (g % ${DRIVERS}))::bigint AS driver_id,
              timestamptz '2026-01-01 00:00:00+00' + (g % 864000) * interval '1 second' AS event_timestamp
         FROM generate_series(1, ${rows}) AS g`;
    const maxRssBeforeKb = process.resourceUsage().maxRSS;
    const started = performance.now();
    const job = await store.getHistoricalFeatures({ entityDf, features: FEATURES, fullFeatureNames: true });
    let count = 0;
    let batches = 0;
    let firstBatchMs;
    let heapUsedMax = 0;
    let heapTotalMax = 0;
    let arrayBuffersMax = 0;
    const nonNull = Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, 0]));
    for await (const batch of job.stream({ batchRows: 65_536 })) {
      firstBatchMs ??= performance.now() - started;
      count += batch.numRows;
      batches++;
      for (const c of OUTPUT_COLUMNS) nonNull[c] += batch.numRows - batch.getChild(c).nullCount;
      // What is live vs what V8 keeps: sampled once a batch.
      const m = process.memoryUsage();
      heapUsedMax = Math.max(heapUsedMax, m.heapUsed);
      heapTotalMax = Math.max(heapTotalMax, m.heapTotal);
      arrayBuffersMax = Math.max(arrayBuffersMax, m.arrayBuffers);
    }
    const ms = performance.now() - started;
    if (count !== rows) throw new Error(`stream returned ${count} rows for ${rows} entity rows`);
    reply({
      rows: count,
      ms,
      firstBatchMs,
      batches,
      nonNull,
      peakKb: process.resourceUsage().maxRSS,
      maxRssBeforeKb,
      heapUsedMaxKb: Math.round(heapUsedMax / 1024),
      heapTotalMaxKb: Math.round(heapTotalMax / 1024),
      arrayBuffersMaxKb: Math.round(arrayBuffersMax / 1024),
    });
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- helpers

function nonNullCounts(table) {
  return Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, table.numRows - table.getChild(c).nullCount]));
}

function reply(value) {
  process.stdout.write(`\n${MARKER}${JSON.stringify(value)}\n`);
}

/**
 * runChild for our own runs, retried (up to twice) when PostgreSQL terminated the connection from outside:
 * the package's tests kill '@mlops/feast' COPY backends on purpose (pg_terminate_backend), and on a shared
 * machine they may run at the same time as this benchmark.
 */
async function runOurChild(args, timeoutS) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChild(process.execPath, [fileURLToPath(import.meta.url), ...args], timeoutS);
    } catch (error) {
      if (attempt > 2 || !/57P01|terminating connection due to administrator command/.test(error.message)) {
        throw error;
      }
      externalKills++;
      process.stderr.write(`(${args.join(' ')}: connection terminated from outside, running it again)\n`);
    }
  }
}

/** Runs a child process to completion; its answer is the JSON after the marker. Killed after `timeoutS`. */
function runChild(command, args, timeoutS) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf(MARKER);
      if (code === 0 && at >= 0) {
        resolve(JSON.parse(stdout.slice(at + MARKER.length).split('\n')[0]));
        return;
      }
      const error = new Error(
        `${[command, ...args].join(' ')} ${timedOut ? `timed out after ${timeoutS} s` : `exited ${code}`}:\n${stderr}`,
      );
      error.timedOut = timedOut;
      reject(error);
    });
  });
}

/** Load averages as an object: the result files hold no bare arrays (biome would reflow them). */
function load() {
  const [m1, m5, m15] = loadavg().map((v) => Math.round(v * 100) / 100);
  return { '1m': m1, '5m': m5, '15m': m15 };
}

function fmtMs(v) {
  if (typeof v !== 'number' || Number.isNaN(v)) return '?';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function mb(kb) {
  return (kb / 1024).toFixed(0);
}

function renderMarkdown(result) {
  const lines = [
    `Feast historical retrieval (point-in-time join), ${result.runtime}, ${result.feast}, ${result.postgres}, ` +
      `${result.machine.cpus} cores; ${result.shape.views} views × ${result.shape.featuresPerView} features, ` +
      `${result.shape.featureRowsPerView / 1e6}M feature rows each, TTL ${result.shape.ttl} ` +
      `(${result.seconds.toFixed(0)} s, load ${result.machine.loadBefore['1m']} → ${result.machine.loadAfter['1m']}). ` +
      'Times in ms, p50 of n runs; peak RSS = the process high-water mark (and its rise during the call).',
    '',
    '| entity rows | ours p50 (n) | Feast Python (n) | floor exec (wall) (n) | Feast/ours | ours/floor | ours peak RSS | Feast peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of Object.values(result.sizes)) {
    const ours = s.stats['@mlops/feast'];
    const feast = s.stats['Feast Python'];
    const floor = s.stats.floor;
    const mem = (m) => (m ? `${mb(m.peakKb)} MB (+${mb(m.peakKb - m.maxRssBeforeKb)})` : '—');
    lines.push(
      `| ${s.entityRows.toLocaleString('en')} | ${fmtMs(ours.p50)} (${ours.n}) | ` +
        `${feast ? `${fmtMs(feast.p50)} (${feast.n})` : `capped: ${s.feastCapped}`} | ` +
        `${fmtMs(floor.p50)} (${fmtMs(s.stats['floor (wall)'].p50)}) (${floor.n}) | ` +
        `${s.ratios['Feast/ours'] ? `${s.ratios['Feast/ours'].toFixed(1)}×` : '—'} | ${s.ratios['ours/floor'].toFixed(2)}× | ` +
        `${mem(s.memory['@mlops/feast'])} | ${mem(s.memory['Feast Python'])} |`,
    );
  }
  if (result.stream) {
    const st = result.stream;
    lines.push(
      '',
      `Streaming: ${st.rows.toLocaleString('en')} entity rows (SQL entity df) through job.stream({ batchRows: 65536 }) ` +
        `in ${(st.ms / 1000).toFixed(1)} s (first batch after ${(st.firstBatchMs / 1000).toFixed(1)} s, ` +
        `${st.batches} batches), peak RSS ${mb(st.peakKb)} MB (sampled once a batch: V8 heap used ≤ ${mb(st.heapUsedMaxKb)} MB ` +
        `of ≤ ${mb(st.heapTotalMaxKb)} MB reserved, array buffers ≤ ${mb(st.arrayBuffersMaxKb)} MB).`,
    );
  }
  if (result.breakdown) {
    const b = result.breakdown;
    lines.push(
      '',
      `Where our time goes, one run of ${b.rows.toLocaleString('en')} entity rows (${fmtMs(b.totalMs)} ms; ` +
        `ms from the call's start; CPU of this Node process and of the PostgreSQL backend during each step):`,
      '',
      '| step | from | to | ms | Node CPU | PostgreSQL CPU |',
      '|---|---:|---:|---:|---:|---:|',
      `| getHistoricalFeatures (plan, Arrow → upload columns) | 0 | ${fmtMs(b.prepareMs)} | ${fmtMs(b.prepareMs)} | | |`,
    );
    for (const s of b.steps) {
      const extra =
        s.bytes !== undefined && s.bytes > 0
          ? `; ${mb(s.bytes / 1024)} MB, first byte at ${s.firstByteMs}`
          : '';
      lines.push(
        `| \`${s.what.replace(/\|/g, '\\|')}\`${extra} | ${s.startMs} | ${s.endMs} | ${fmtMs(s.ms)} | ` +
          `${fmtMs(s.nodeCpuMs)} | ${Number.isNaN(s.pgCpuMs) ? '?' : fmtMs(s.pgCpuMs)} |`,
      );
    }
  }
  if (Object.keys(result.targets).length > 0) {
    lines.push('', 'Targets:');
    for (const [name, t] of Object.entries(result.targets)) {
      lines.push(`- ${name}: ${t.value.toFixed(2)} — ${t.holds ? 'holds' : 'MISSED'}`);
    }
  }
  return lines.join('\n');
}
