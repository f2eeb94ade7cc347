// Feast historical retrieval on Trino (point-in-time joins over Trino's postgresql catalog into Arrow):
// SIZES (default 100000; 1000000 when the machine allows) entity rows × 2 feature views of 1M feature rows
// each (bench/feast-offline-repo's tables, read through Trino), contenders rotated round by round:
//   @mlops/feast on Trino — getHistoricalFeatures({ entityDf: <Arrow table> }).toArrow() in a fresh Node process
//                   (its peak RSS is that run's alone), after an untimed one-row warm-up: upload (JSON-array
//                   INSERTs into memory.feast), the query, paging over the REST protocol, Arrow decoding.
//   Feast Python on Trino — feast[trino] 0.67.0 (the feast-trino venv), get_historical_features(...).to_arrow()
//                   in a fresh Python process (bench/feast_offline_python.py run with FEAST_BENCH_REPO).
//   floor         — Trino running our point-in-time query with the result discarded (EXPLAIN ANALYZE over the
//                   same uploaded rows, with the same per-query session properties as ours: the postgresql
//                   catalog's domain_compaction_threshold that lets the entity keys' dynamic filters reach
//                   PostgreSQL); its server-side elapsed time from system.runtime.queries (no upload in it).
//   @mlops/feast on PostgreSQL — the same request on the PostgreSQL path (bench/feast-offline-repo), for the
//                   README's "when to move to Trino" note.
// Usage: pnpm build && pnpm platform up trino && pnpm --filter @mlops/bench feast-trino
//        [SIZES=100000[,1000000]] [REPS=2] [FEAST_REPS=1 (0 skips Feast Python)] [FEAST_TIMEOUT_S=1200]
// Medians are by nearest rank (of 2 runs: the faster). Last run: SIZES=10000,100000 REPS=2 on a loaded machine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FeatureStore } from '@mlops/feast';
import { mulberry32, percentile, writeResults } from './lib.mjs';

const feastRequire = createRequire(fileURLToPath(import.meta.resolve('@mlops/feast')));
const arrow = await import(
  pathToFileURL(join(dirname(feastRequire.resolve('apache-arrow')), 'Arrow.node.mjs')).href
);

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const stateDir = `${benchDir}.state/`;
const pgRepo = `${benchDir}feast-offline-repo`;
const trinoVenv = `${repoRoot}platform/.state/venvs/feast-trino`;
const pgPython = `${repoRoot}platform/.state/venvs/feast/bin/python`;
const pythonScript = `${benchDir}feast_offline_python.py`;
const TRINO = process.env.TRINO_URL ?? 'http://127.0.0.1:8095';
const MARKER = '@@RESULT@@';
const FEATURES = ['offline_a', 'offline_b'].flatMap((v) =>
  ['f_float4', 'f_float8', 'f_int8', 'f_text'].map((f) => `${v}:${f}`),
);
const T0_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const DRIVERS = 100_000;
const SEED = 20261207;

const mode = process.argv[2];
if (mode === '--ours') await child(process.argv[3], process.argv[4], false);
else if (mode === '--floor') await child(process.argv[3], process.argv[4], true);
else await main();

function entityTable(size) {
  const random = mulberry32(SEED + size);
  const ids = new BigInt64Array(size);
  const ts = new BigInt64Array(size);
  for (let i = 0; i < size; i++) {
    ids[i] = BigInt(Math.floor(random() * DRIVERS));
    ts[i] = BigInt(T0_MS - DAY_MS + Math.floor(random() * 14 * DAY_MS)) * 1000n;
  }
  const timestamp = new arrow.TimestampMicrosecond('UTC');
  return new arrow.Table({
    driver_id: arrow.makeVector(ids),
    event_timestamp: arrow.makeVector(arrow.makeData({ type: timestamp, length: size, data: ts })),
  });
}

/** One measured run in this (fresh) process: ours end to end, or the floor (EXPLAIN ANALYZE of our query). */
async function child(repoPath, size, floor) {
  const entityDf = entityTable(Number(size));
  const base = new FeatureStore({ repoPath });
  const config = await base.getConfig();
  await base.close();
  const source = `mlops-bench-${process.pid}`;
  const store = new FeatureStore({
    config: { ...config, offlineStore: { ...config.offlineStore, source } },
  });
  await (
    await store.getHistoricalFeatures({
      entityDf: entityTable(1),
      features: FEATURES,
      fullFeatureNames: true,
    })
  ).toArrow();
  const job = await store.getHistoricalFeatures({ entityDf, features: FEATURES, fullFeatureNames: true });
  const started = performance.now();
  let rows = 0;
  let ms;
  if (floor) {
    await job.explain({ analyze: true });
    ms = await serverElapsedMs(source);
  } else {
    rows = (await job.toArrow()).numRows;
    ms = performance.now() - started;
  }
  await store.close();
  process.stdout.write(
    `\n${MARKER}${JSON.stringify({ ms, rows, maxRssKb: process.resourceUsage().maxRSS })}\n`,
  );
}

async function trinoRows(sql) {
  const headers = { 'X-Trino-User': 'mlops-bench' };
  let body = await (await fetch(`${TRINO}/v1/statement`, { method: 'POST', body: sql, headers })).json();
  const rows = [];
  for (;;) {
    if (body.error) throw new Error(`Trino: ${body.error.message}`);
    rows.push(...(body.data ?? []));
    if (!body.nextUri) return rows;
    body = await (await fetch(body.nextUri, { headers })).json();
  }
}

async function serverElapsedMs(source) {
  const rows = await trinoRows(
    `SELECT date_diff('millisecond', created, "end") FROM system.runtime.queries WHERE source = '${source}' AND query LIKE 'EXPLAIN ANALYZE%' ORDER BY created DESC LIMIT 1`,
  );
  return Number(rows[0][0]);
}

function runChild(command, args, env = {}, timeoutS = 1200) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env: { ...process.env, FEAST_USAGE: 'False', ...env } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutS * 1000);
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    proc.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARKER));
      if (!line) return reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${err}`));
      resolve(JSON.parse(line.slice(MARKER.length)));
    });
  });
}

function trinoRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-trino-'));
  const features = readFileSync(`${pgRepo}/features.py`, 'utf8')
    .replace(
      'from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource',
      'from feast.infra.offline_stores.contrib.trino_offline_store.trino_source import TrinoSource',
    )
    .replaceAll('PostgreSQLSource(', 'TrinoSource(')
    .replace('table=table,', 'table=f"postgresql.public.{table}",');
  writeFileSync(join(dir, 'features.py'), features);
  const port = new URL(TRINO).port;
  writeFileSync(
    join(dir, 'feature_store.yaml'),
    [
      'project: mlops_bench_offline_trino',
      'provider: local',
      `registry: ${JSON.stringify(join(dir, 'registry.db'))}`,
      'online_store:',
      '  type: sqlite',
      `  path: ${JSON.stringify(join(dir, 'online.db'))}`,
      'offline_store:',
      '  type: trino',
      '  host: 127.0.0.1',
      `  port: ${port}`,
      '  catalog: memory',
      '  user: mlops-bench',
      '  dataset: feast',
      '  connector:',
      '    type: memory',
      'entity_key_serialization_version: 3',
      '',
    ].join('\n'),
  );
  // Feast's CLI through the venv's python: bin/feast's shebang breaks when the checkout that made the venv is gone.
  const cli = 'import sys; from feast.cli.cli import cli; sys.exit(cli())';
  const applied = spawnSync(`${trinoVenv}/bin/python`, ['-c', cli, '-c', dir, 'apply'], {
    encoding: 'utf8',
    env: { ...process.env, FEAST_USAGE: 'False' },
  });
  if (applied.status !== 0) throw new Error(`feast apply (trino) failed:\n${applied.stderr}`);
  return dir;
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0], max: sorted.at(-1), n: sorted.length };
}

async function main() {
  const sizes = (process.env.SIZES ?? '100000').split(',').map(Number);
  const reps = Number(process.env.REPS ?? 2);
  const feastReps = Number(process.env.FEAST_REPS ?? 1);
  const feastTimeoutS = Number(process.env.FEAST_TIMEOUT_S ?? 1200);
  if (!existsSync(`${trinoVenv}/bin/python`))
    throw new Error('No feast-trino venv: run `pnpm platform up trino` first.');
  await trinoRows('CREATE SCHEMA IF NOT EXISTS memory.feast').catch((e) => {
    throw new Error(`Trino is not running at ${TRINO} (${e.message}): run \`pnpm platform up trino\` first.`);
  });
  const setup = spawnSync(pgPython, [pythonScript, 'setup'], {
    encoding: 'utf8',
    env: { ...process.env, FEAST_USAGE: 'False' },
  });
  if (setup.status !== 0) throw new Error(`feast_offline_python.py setup failed:\n${setup.stderr}`);
  const trinoRepoPath = trinoRepo();
  mkdirSync(stateDir, { recursive: true });
  const script = fileURLToPath(import.meta.url);
  const results = {};
  for (const size of sizes) {
    const ipc = `${stateDir}feast-trino-entities-${size}.arrow`;
    writeFileSync(ipc, arrow.tableToIPC(entityTable(size), 'file'));
    const samples = { ours: [], floor: [], feast: [], postgres: [] };
    const rss = { ours: [], feast: [], postgres: [] };
    for (let r = 0; r < reps; r++) {
      const order = ['ours', 'floor', 'postgres'];
      for (let k = 0; k < r % order.length; k++) order.push(order.shift());
      for (const who of order) {
        const repo = who === 'postgres' ? pgRepo : trinoRepoPath;
        const result = await runChild(process.execPath, [
          script,
          who === 'floor' ? '--floor' : '--ours',
          repo,
          String(size),
        ]);
        samples[who].push(result.ms);
        if (rss[who]) rss[who].push(result.maxRssKb / 1024);
        process.stderr.write(`${size} ${who} round ${r}: ${result.ms.toFixed(0)} ms\n`);
      }
    }
    let feastError;
    for (let r = 0; r < feastReps && !feastError; r++) {
      try {
        const result = await runChild(
          `${trinoVenv}/bin/python`,
          [pythonScript, 'run', ipc],
          { FEAST_BENCH_REPO: trinoRepoPath },
          feastTimeoutS,
        );
        samples.feast.push(result.ms);
        rss.feast.push(result.maxRssAfterKb / 1024);
        process.stderr.write(`${size} Feast Python round ${r}: ${result.ms.toFixed(0)} ms\n`);
      } catch (error) {
        // Recorded, not fatal: Feast's one-statement upload may exceed Trino's query.max-length.
        feastError = (/TrinoUserError\([^\n]*/.exec(error.message) ?? [error.message.slice(-300)])[0];
        process.stderr.write(`${size} Feast Python failed: ${feastError}\n`);
      }
    }
    results[size] = {
      ms: Object.fromEntries(
        Object.entries(samples)
          .filter(([, v]) => v.length)
          .map(([k, v]) => [k, stats(v)]),
      ),
      ...(feastError ? { feastError } : {}),
      peakRssMb: Object.fromEntries(
        Object.entries(rss)
          .filter(([, v]) => v.length)
          .map(([k, v]) => [k, Math.max(...v)]),
      ),
    };
  }
  const machine = {
    cpus: cpus().length,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    memGb: Math.round(totalmem() / 2 ** 30),
  };
  const lines = [
    `Machine: ${machine.cpus} cores shared with other work (load ${machine.loadavg.join(' ')}), ${machine.memGb} GB; Trino 476, one node.`,
    '',
    '| entity rows | @mlops/feast on Trino | floor (Trino, result discarded) | Feast Python on Trino | @mlops/feast on PostgreSQL | ours / floor | Feast / ours | peak RSS ours / Feast / PG path |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [size, r] of Object.entries(results)) {
    const m = r.ms;
    const fmt = (s) => (s ? `${(s.median / 1000).toFixed(2)} s` : '—');
    lines.push(
      `| ${Number(size).toLocaleString('en')} | ${fmt(m.ours)} | ${fmt(m.floor)} | ${fmt(m.feast)} | ${fmt(m.postgres)} | ${(m.ours.median / m.floor.median).toFixed(2)}× | ${m.feast ? `${(m.feast.median / m.ours.median).toFixed(2)}×` : r.feastError ? 'Feast failed' : '—'} | ${r.peakRssMb.ours.toFixed(0)} / ${r.peakRssMb.feast?.toFixed(0) ?? '—'} / ${r.peakRssMb.postgres.toFixed(0)} MB |`,
    );
  }
  for (const [size, r] of Object.entries(results)) {
    if (r.feastError)
      lines.push('', `Feast Python at ${Number(size).toLocaleString('en')} rows: ${r.feastError}`);
  }
  const markdown = lines.join('\n');
  console.log(markdown);
  writeResults('feast-trino', { machine, reps, feastReps, results }, markdown);
}
