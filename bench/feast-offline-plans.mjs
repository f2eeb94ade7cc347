// The point-in-time plans of @mlops/feast's getHistoricalFeatures, measured against each other on the same
// entity rows: 'lookup' (today's default before 'auto': one index lookup per entity row and view, entity
// order), 'lookup-keys' (the same in join-key order), 'arrays' (per-key arrays + width_bucket) and 'auto'
// (the calibrated per-view choice). Two parts:
//   grid    — entity rows ENTITY_SIZES × feature rows per view FEATURE_SIZES, 2 views × 4 features, each
//             plan's toArrow() end to end (upload, query, transfer, decoding, reordering), rounds rotated;
//             the crossover chart (bench/results/feast-offline-plans.svg) and whether 'auto' is within 10%
//             of the best plan at every point.
//   targets — at 1M entity rows × 2 views of 1M rows (the feast-offline benchmark's data): 'auto' against
//             'lookup' (today's plan), against Feast Python (FEAST_REPS runs of bench/feast_offline_python.py,
//             end to end, 0 skips), and against the floor (PostgreSQL executing the chosen query with
//             EXPLAIN (ANALYZE, TIMING OFF), result discarded); at 100k, 'auto' against 'lookup-keys'.
// Data: feature tables of F rows per view in schema mlops_bench_plans_<F> (F/10 drivers × 10 versions, the
// shape of feast_offline_python.py's, generated in SQL, indexed as createOfflineIndexes does), read through
// the bench repo's views with offline_store.db_schema pointed at that schema; 1M is the public tables of
// bench/feast-offline.mjs (run `feast_offline_python.py setup` first: this script does).
// Every point checks that all plans returned the same rows: row count, non-null counts and checksums of
// every feature column.
// Usage: pnpm build && node bench/feast-offline-plans.mjs
//        [ENTITY_SIZES=1000,10000,100000,1000000] [FEATURE_SIZES=100000,1000000] [REPS=3 (2 at ≥1M rows)]
//        [FEAST_REPS=1] [TARGETS=1 (0 skips)] [GRID=1 (0 skips)] [RESULTS=feast-offline-plans (file names)]
//        [BIG_PLANS=lookup-keys,arrays,auto and BIG_REPS=1: the plans and rounds at points with ≥ BIG_ROWS=10M
//        entity rows, where
//        'lookup' — entity-order lookups, the slowest plan from 100k rows on — would take many minutes)]
//        [GRID_PLANS=lookup,lookup-keys,arrays,auto (the grid's contenders; 'auto' must stay)]
//        [COVERING=1 (0 skips): at 1M, every plan again on a copy of the tables with the opt-in covering index]
//        [PREPARE=1: only generate the feature tables and entity files of the grid, then exit (slow at 10M;
//        run it before a quiet-machine measurement)]
// Points where every plan takes under 2 s get at least 8 rounds. The order of the plans in a round follows a
// balanced Latin square: over n rounds each plan comes right after each other plan once (the array plan's
// scans of whole tables evict the buffer cache the next plan's lookups would have used; a plain rotation put
// 'auto' after 'arrays' three rounds in four).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FeatureStore } from '@mlops/feast';
import { mulberry32, percentile, writeResults } from './lib.mjs';

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
const TABLES = ['bench_offline_a', 'bench_offline_b'];
const FEATURE_NAMES = ['f_float4', 'f_float8', 'f_int8', 'f_text'];
const FEATURES = VIEWS.flatMap((v) => FEATURE_NAMES.map((f) => `${v}:${f}`));
const OUTPUT_COLUMNS = FEATURES.map((ref) => ref.replace(':', '__'));
const PLANS = ['lookup', 'lookup-keys', 'arrays', 'auto'];
const BIG_ROWS = Number(process.env.BIG_ROWS ?? 10_000_000);
const BIG_PLANS = (process.env.BIG_PLANS ?? 'lookup-keys,arrays,auto').split(',');
const GRID_PLANS = (process.env.GRID_PLANS ?? PLANS.join(',')).split(',');
const T0_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const SEED = 20261207;
const PUBLIC_ROWS = 1_000_000;

const started = performance.now();
const loadBefore = load();
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(loadavg()[0]), 10_000);
loadTimer.unref();

const entitySizes = (process.env.ENTITY_SIZES ?? '1000,10000,100000,1000000').split(',').map(Number);
const featureSizes = (process.env.FEATURE_SIZES ?? '100000,1000000').split(',').map(Number);
const repsFor = (e, f) =>
  e >= BIG_ROWS
    ? Number(process.env.BIG_REPS ?? 1)
    : Number(process.env.REPS ?? (Math.max(e, f) >= 1_000_000 ? 2 : 3));
const feastReps = Number(process.env.FEAST_REPS ?? 1);

const admin = new pg.Client({ ...PG, application_name: 'mlops-bench-plans' });
await admin.connect();
const setup = spawnSync(python, [pythonScript, 'setup'], { stdio: 'inherit', cwd: repoRoot });
if (setup.status !== 0) throw new Error(`feast_offline_python.py setup failed (${setup.status})`);
const baseStore = new FeatureStore({ repoPath: feastRepo });
const baseConfig = await baseStore.getConfig();
await baseStore.createOfflineIndexes({ features: FEATURES, fullFeatureNames: true });
await baseStore.close();
mkdirSync(stateDir, { recursive: true });

const stores = new Map();
async function storeFor(rows) {
  if (!stores.has(rows)) {
    const schema = rows === PUBLIC_ROWS ? 'public' : await ensureSchema(rows);
    const config = { ...baseConfig, offlineStore: { ...baseConfig.offlineStore, dbSchema: schema } };
    stores.set(rows, new FeatureStore({ repoPath: feastRepo, config }));
  }
  return stores.get(rows);
}

const result = {
  benchmark: 'feast-offline-plans',
  runtime: `node ${process.versions.node}`,
  postgres: (await admin.query('SELECT version() AS v')).rows[0].v.replace(/ on .*/, ''),
  machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), loadBefore },
  shape: { views: 2, featuresPerView: 4, versionsPerDriver: 10, ttl: '2 days' },
  grid: [],
  targets: {},
};

if (process.env.PREPARE === '1') {
  for (const f of featureSizes) {
    if (f !== PUBLIC_ROWS) await ensureSchema(f);
    for (const e of entitySizes) ensureEntityFile(e, f / 10);
  }
  for (const e of [100_000, 1_000_000]) ensureEntityFile(e, PUBLIC_ROWS / 10);
  if (process.env.COVERING !== '0') await (await coveringStore()).close();
  await admin.end();
  process.exit(0);
}

try {
  if (process.env.GRID !== '0') {
    for (const f of featureSizes) {
      for (const e of entitySizes) result.grid.push(await gridPoint(e, f));
    }
    writeFileSync(
      `${benchDir}results/${process.env.RESULTS ?? 'feast-offline-plans'}.svg`,
      chart(result.grid),
    );
  }
  if (process.env.TARGETS !== '0') result.targets = await targets();
} finally {
  for (const store of stores.values()) await store.close();
  await admin.end();
}
result.machine.loadAfter = load();
result.machine.loadDuring = loadSamples.length
  ? {
      median:
        Math.round(
          percentile(
            [...loadSamples].sort((a, b) => a - b),
            50,
          ) * 100,
        ) / 100,
      max: Math.round(Math.max(...loadSamples) * 100) / 100,
    }
  : undefined;
result.seconds = (performance.now() - started) / 1000;
const markdown = renderMarkdown(result);
writeResults(process.env.RESULTS ?? 'feast-offline-plans', result, markdown);
process.stdout.write(`${markdown}\n`);

// ---------------------------------------------------------------- the grid

/** One point: every plan's toArrow on the same entity rows, rounds rotated; medians; the same answers. */
async function gridPoint(entityRows, featureRows) {
  const store = await storeFor(featureRows);
  const table = arrow.tableFromIPC(readFileSync(ensureEntityFile(entityRows, featureRows / 10)));
  const job = await store.getHistoricalFeatures({
    entityDf: table,
    features: FEATURES,
    fullFeatureNames: true,
  });
  const explained = await job.explain();
  const auto = explained
    .split('\n')
    .filter((l) => l.startsWith('--'))
    .join('\n');
  const reps = repsFor(entityRows, featureRows);
  const plans = (entityRows >= BIG_ROWS ? PLANS.filter((p) => BIG_PLANS.includes(p)) : PLANS).filter((p) =>
    GRID_PLANS.includes(p),
  );
  const samples = Object.fromEntries(plans.map((p) => [p, []]));
  const checks = {};
  // Short points (every plan under 2 s) get at least 7 rounds: there the machine's noise is the signal.
  const short = () => plans.every((p) => samples[p].length > 0 && median(samples[p]) < 2000);
  for (let round = 0; round < reps || (round < 8 && short()); round++) {
    for (let i = 0; i < plans.length; i++) {
      const plan = plans[balanced(plans.length, round, i)];
      const t0 = performance.now();
      const out = await job.toArrow({ plan });
      samples[plan].push(performance.now() - t0);
      process.stderr.write(
        `  ${entityRows} × ${featureRows} ${plan}: ${fmt(samples[plan].at(-1))} ms (load ${loadavg()[0].toFixed(1)})\n`,
      );
      checks[plan] ??= summary(out);
    }
  }
  const reference = JSON.stringify(checks[plans[0]]);
  for (const plan of plans) {
    if (JSON.stringify(checks[plan]) !== reference) {
      throw new Error(
        `${entityRows}×${featureRows}: plan ${plan} differs from ${plans[0]}: ${JSON.stringify(checks[plan])} vs ${reference}`,
      );
    }
  }
  const p50 = Object.fromEntries(plans.map((p) => [p, median(samples[p])]));
  const best = Math.min(...plans.filter((p) => p !== 'auto').map((p) => p50[p]));
  const point = {
    entityRows,
    featureRows,
    reps: samples[plans[0]].length,
    p50,
    autoChoice: auto,
    autoOverBest: p50.auto / best,
    same: checks.lookup,
  };
  process.stderr.write(
    `${entityRows} × ${featureRows}: ${plans.map((p) => `${p} ${fmt(p50[p])}`).join(', ')} ms; auto/best ${point.autoOverBest.toFixed(2)}\n`,
  );
  return point;
}

// ---------------------------------------------------------------- the targets

async function targets() {
  const out = {};
  const publicStore = await storeFor(PUBLIC_ROWS);
  const at = async (entityRows, plans, store = publicStore, withFeast = true) => {
    const table = arrow.tableFromIPC(readFileSync(ensureEntityFile(entityRows, PUBLIC_ROWS / 10)));
    const job = await store.getHistoricalFeatures({
      entityDf: table,
      features: FEATURES,
      fullFeatureNames: true,
    });
    const reps = Number(process.env.REPS ?? 3);
    const samples = Object.fromEntries([...plans, 'floor'].map((p) => [p, []]));
    let feast;
    const names = [
      ...plans,
      'floor',
      ...(withFeast && entityRows === 1_000_000 && feastReps > 0 ? ['feast'] : []),
    ];
    for (let round = 0; round < reps; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[balanced(names.length, round, i)];
        if (name === 'feast') {
          if (round >= feastReps) continue;
          const file = ensureEntityFile(entityRows, PUBLIC_ROWS / 10);
          const r = await runChild(python, [pythonScript, 'run', file], 1200);
          feast ??= [];
          feast.push(r.ms);
        } else if (name === 'floor') {
          samples.floor.push(await floor(job));
        } else {
          const t0 = performance.now();
          await job.toArrow({ plan: name });
          samples[name].push(performance.now() - t0);
        }
        process.stderr.write(`targets ${entityRows}: ${name} round ${round + 1}\n`);
      }
    }
    const p50 = Object.fromEntries(Object.entries(samples).map(([p, s]) => [p, median(s)]));
    if (feast) p50['Feast Python'] = median(feast);
    return { p50, n: reps, feastN: feast?.length ?? 0, autoChoice: await autoChoice(job) };
  };
  const million = await at(1_000_000, ['lookup', 'lookup-keys', 'arrays', 'auto']);
  out.million = million;
  const m = million.p50;
  out.checks = {
    "auto ≥ 2.5× faster than 'lookup' (today's plan) at 1M × 2": ratio(m.lookup / m.auto, 2.5, '≥'),
    ...(m['Feast Python']
      ? { 'auto ≥ 8× faster than Feast Python at 1M × 2': ratio(m['Feast Python'] / m.auto, 8, '≥') }
      : {}),
    'auto ≤ 1.2× the floor (its query in PostgreSQL, result discarded) at 1M × 2': ratio(
      m.auto / m.floor,
      1.2,
      '≤',
    ),
  };
  const hundred = await at(100_000, ['lookup', 'lookup-keys', 'auto']);
  out.hundredK = hundred;
  if (process.env.COVERING !== '0') {
    // The opt-in covering index (createOfflineIndexes({ includeFeatures: true })) on a vacuumed copy of the
    // same 1M-row tables: every plan again, for the README's "should I add it" note (not a target).
    const covering = await coveringStore();
    out.covering = await at(1_000_000, ['lookup', 'lookup-keys', 'arrays', 'auto'], covering, false);
    out.covering.index = (await covering.offlineIndexes({ features: FEATURES }, { includeFeatures: true }))
      .map((i) => i.sql)
      .join(';\n');
  }
  out.checks["auto no slower than 'lookup-keys' at 100k × 2"] = ratio(
    hundred.p50.auto / hundred.p50['lookup-keys'],
    1,
    '≤',
  );
  return out;
}

async function autoChoice(job) {
  return (await job.explain())
    .split('\n')
    .filter((l) => l.startsWith('--'))
    .join('\n');
}

/**
 * The floor: PostgreSQL executing the query 'auto' chose (EXPLAIN (ANALYZE, TIMING OFF) — result computed and
 * discarded, no transfer), with the entity rows uploaded by the job itself (explain's own session).
 */
async function floor(job) {
  const plan = await job.explain({ analyze: true });
  return Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]);
}

function ratio(value, bound, sense) {
  return { value, bound: `${sense} ${bound}`, holds: sense === '≥' ? value >= bound : value <= bound };
}

// ---------------------------------------------------------------- data

/** Schema mlops_bench_plans_<rows> with bench_offline_a/b of `rows` rows each (idempotent), indexed, analyzed. */
async function ensureSchema(rows) {
  const schema = `mlops_bench_plans_${rows}`;
  const tag = `mlops-bench-plans v1 ${rows}`;
  const done = await admin.query(`SELECT obj_description(to_regclass($1), 'pg_class') AS tag`, [
    `${schema}.bench_offline_b`,
  ]);
  if (done.rows[0]?.tag === tag) return schema;
  const drivers = rows / 10;
  const t0 = performance.now();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  for (const [n, table] of TABLES.entries()) {
    const h = (k) => `hashint8extended(d::bigint * 16 + v, ${(SEED + n) * 10 + k})`;
    await admin.query(`
      CREATE TABLE ${schema}.${table} (
        driver_id bigint NOT NULL, event_timestamp timestamptz NOT NULL, created timestamptz NOT NULL,
        f_float4 real, f_float8 double precision, f_int8 bigint, f_text text);
      INSERT INTO ${schema}.${table}
      SELECT d, ts, ts + mod(mod(h1, 3600) + 3600, 3600) * interval '1 second',
             CASE WHEN mod(h2, 50) = 0 THEN NULL ELSE (mod(mod(h2, 100000) + 100000, 100000) / 1000.0)::real END,
             h3::double precision / 9223372036854775807.0, mod(h4, 1000000),
             CASE WHEN mod(h4, 20) = 0 THEN NULL ELSE 'status-' || mod(mod(h1, 7) + 7, 7) END
        FROM (SELECT d, v, timestamptz '2026-01-01 00:00:00+00' + v * interval '1 day'
                             + mod(mod(${h(0)}, 86400) + 86400, 86400) * interval '1 second' AS ts,
                     ${h(1)} AS h1, ${h(2)} AS h2, ${h(3)} AS h3, ${h(4)} AS h4
                FROM generate_series(1, ${drivers}) AS d, generate_series(0, 9) AS v) AS g
       ORDER BY ts, d;
      CREATE INDEX ON ${schema}.${table} (driver_id, event_timestamp DESC, created DESC NULLS LAST);`);
    await admin.query(`VACUUM ANALYZE ${schema}.${table}`);
  }
  await admin.query(`COMMENT ON TABLE ${schema}.bench_offline_b IS '${tag}'`);
  process.stderr.write(`${schema}: generated 2 × ${rows} rows in ${fmt(performance.now() - t0)} ms\n`);
  return schema;
}

/**
 * Schema mlops_bench_plans_covering: copies of the public 1M-row tables (same physical order) with only the
 * covering indexes createOfflineIndexes({ includeFeatures: true }) creates, vacuumed (index-only scans).
 */
async function coveringStore() {
  const schema = 'mlops_bench_plans_covering';
  const tag = 'mlops-bench-plans covering v1';
  const config = { ...baseConfig, offlineStore: { ...baseConfig.offlineStore, dbSchema: schema } };
  const store = new FeatureStore({ repoPath: feastRepo, config });
  stores.set(schema, store);
  const done = await admin.query(`SELECT obj_description(to_regclass($1), 'pg_class') AS tag`, [
    `${schema}.bench_offline_b`,
  ]);
  if (done.rows[0]?.tag === tag) return store;
  const t0 = performance.now();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  for (const table of TABLES) {
    await admin.query(`CREATE TABLE ${schema}.${table} AS SELECT * FROM public.${table}`);
  }
  await store.createOfflineIndexes({ features: FEATURES }, { includeFeatures: true });
  for (const table of TABLES) await admin.query(`VACUUM ANALYZE ${schema}.${table}`);
  await admin.query(`COMMENT ON TABLE ${schema}.bench_offline_b IS '${tag}'`);
  process.stderr.write(`${schema}: copied and indexed in ${fmt(performance.now() - t0)} ms\n`);
  return store;
}

/** Entity rows (driver_id int64 over `drivers`, µs UTC timestamps from a day before the data to 3 days after). */
function ensureEntityFile(size, drivers) {
  const file = `${stateDir}plans-entities-${size}-${drivers}-${SEED}.arrow`;
  if (existsSync(file)) return file;
  const next = mulberry32(SEED ^ size ^ drivers);
  const ids = new BigInt64Array(size);
  const micros = new BigInt64Array(size);
  for (let i = 0; i < size; i++) {
    ids[i] = BigInt(1 + Math.floor(next() * drivers));
    micros[i] = BigInt(T0_MS - DAY_MS + Math.floor(next() * 14 * DAY_MS)) * 1000n;
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

/** Rows, and per feature column the non-null count and a checksum of its values (the same answer check). */
function summary(table) {
  const out = { rows: table.numRows };
  for (const c of OUTPUT_COLUMNS) {
    const column = table.getChild(c);
    let sum = 0;
    let n = 0;
    let row = 0;
    for (const data of column.data) {
      for (let i = 0; i < data.length; i++, row++) {
        if (!data.getValid(i)) continue;
        n++;
        const v = column.type.typeId === arrow.Type.Utf8 ? data.values[data.valueOffsets[i]] : data.values[i];
        sum = (sum + Number(v) * ((row % 7) + 1)) % 1e12;
      }
    }
    out[c] = `${n}:${sum.toFixed(3)}`;
  }
  return out;
}

// ---------------------------------------------------------------- output

/** The crossover chart: per feature table size, each plan's time against entity rows (log-log), as SVG. */
function chart(grid) {
  const sizes = [...new Set(grid.map((p) => p.featureRows))];
  const W = 460;
  const H = 300;
  const pad = { l: 60, r: 20, t: 40, b: 45 };
  const colors = { lookup: '#d62728', 'lookup-keys': '#ff7f0e', arrays: '#1f77b4', auto: '#2ca02c' };
  const xs = grid.map((p) => p.entityRows);
  const ys = grid.flatMap((p) => PLANS.map((plan) => p.p50[plan])).filter((v) => v !== undefined);
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const X = (v) => pad.l + ((Math.log10(v) - x0) / Math.max(1e-9, x1 - x0)) * (W - pad.l - pad.r);
  const Y = (v) => H - pad.b - ((Math.log10(v) - y0) / Math.max(1e-9, y1 - y0)) * (H - pad.t - pad.b);
  const panels = sizes.map((f, k) => {
    const points = grid.filter((p) => p.featureRows === f).sort((a, b) => a.entityRows - b.entityRows);
    const lines = PLANS.map((plan) => {
      const d = points
        .filter((p) => p.p50[plan] !== undefined)
        .map((p, i) => `${i ? 'L' : 'M'}${X(p.entityRows).toFixed(1)},${Y(p.p50[plan]).toFixed(1)}`);
      const dash = plan === 'auto' ? ' stroke-dasharray="5,3"' : '';
      return `<path d="${d.join(' ')}" fill="none" stroke="${colors[plan]}" stroke-width="2"${dash}/>`;
    });
    const gridLines = [];
    for (let e = y0; e <= y1; e++) {
      gridLines.push(
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${Y(10 ** e)}" y2="${Y(10 ** e)}" stroke="#ddd"/>`,
        `<text x="${pad.l - 6}" y="${Y(10 ** e) + 4}" text-anchor="end" font-size="11">${label(10 ** e)} ms</text>`,
      );
    }
    for (const p of points) {
      gridLines.push(
        `<text x="${X(p.entityRows)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="11">${label(p.entityRows)}</text>`,
      );
    }
    return `<g transform="translate(${k * W},0)">
<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">2 views × ${label(f)} feature rows each</text>
${gridLines.join('\n')}
${lines.join('\n')}
<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">entity rows (toArrow end to end, p50)</text>
</g>`;
  });
  const legend = PLANS.map(
    (plan, i) =>
      `<g transform="translate(${20 + i * 120},${H + 10})"><line x1="0" x2="24" y1="0" y2="0" stroke="${colors[plan]}" stroke-width="3"${plan === 'auto' ? ' stroke-dasharray="5,3"' : ''}/><text x="30" y="4" font-size="12">${plan}</text></g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * sizes.length}" height="${H + 30}" font-family="sans-serif" role="img" aria-label="Point-in-time plans: toArrow time against entity rows">
<title>Point-in-time plans of @mlops/feast: toArrow time (p50) against entity rows, per plan and feature table size</title>
<rect width="100%" height="100%" fill="white"/>
${panels.join('\n')}
${legend.join('\n')}
</svg>
`;
}

function label(v) {
  return v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : String(v);
}

function renderMarkdown(r) {
  const lines = [
    `Point-in-time plans of @mlops/feast, ${r.runtime}, ${r.postgres}, ${r.machine.cpus} cores shared with other ` +
      `work (load ${r.machine.loadBefore['1m']} before, median ${r.machine.loadDuring?.median ?? '?'} / max ` +
      `${r.machine.loadDuring?.max ?? '?'} during, ${r.machine.loadAfter['1m']} after; ${r.seconds.toFixed(0)} s). ` +
      '2 views × 4 features, 10 versions per driver, TTL 2 days; toArrow end to end, p50 ms of n interleaved runs.',
  ];
  if (r.grid.length > 0) {
    lines.push(
      '',
      '| entity rows | feature rows / view | n | lookup | lookup-keys | arrays | auto | auto / best | auto chose |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const p of r.grid) {
      const chose = [...p.autoChoice.matchAll(/--\s+(\w+): (lookup|arrays)/g)].map((m) => m[2]);
      const order = /lookups in (join-key|entity-row) order/.exec(p.autoChoice)?.[1];
      lines.push(
        `| ${label(p.entityRows)} | ${label(p.featureRows)} | ${p.reps} | ${PLANS.map((plan) => (p.p50[plan] === undefined ? '—' : fmt(p.p50[plan]))).join(' | ')} | ` +
          `${p.autoOverBest.toFixed(2)} | ${[...new Set(chose)].join('+')}${chose.includes('lookup') ? ` (${order})` : ''} |`,
      );
    }
    lines.push('', 'Chart: bench/results/feast-offline-plans.svg');
  }
  if (r.targets.million) {
    const m = r.targets.million.p50;
    const h = r.targets.hundredK.p50;
    lines.push(
      '',
      `Targets, 1M entity rows × 2 views of 1M rows (n=${r.targets.million.n}${r.targets.million.feastN ? `, Feast Python n=${r.targets.million.feastN}` : ''}): ` +
        Object.entries(m)
          .map(([k, v]) => `${k} ${fmt(v)} ms`)
          .join(', '),
      `At 100k: ${Object.entries(h)
        .map(([k, v]) => `${k} ${fmt(v)} ms`)
        .join(', ')}`,
      '',
    );
    if (r.targets.covering) {
      lines.push(
        `With the opt-in covering index on a vacuumed copy of the same tables (not a target; n=${r.targets.covering.n}): ` +
          Object.entries(r.targets.covering.p50)
            .map(([k, v]) => `${k} ${fmt(v)} ms`)
            .join(', '),
        '',
      );
    }
    for (const [name, c] of Object.entries(r.targets.checks)) {
      lines.push(`- ${name}: ${c.value.toFixed(2)} (${c.bound}) — ${c.holds ? 'holds' : 'MISSED'}`);
    }
  }
  if (r.grid.length > 0) {
    const worst = Math.max(...r.grid.map((p) => p.autoOverBest));
    lines.push(
      `- auto within 10% of the best plan at every grid point: worst ${worst.toFixed(2)} — ${worst <= 1.1 ? 'holds' : 'MISSED'}`,
    );
  }
  return lines.join('\n');
}

/** The i-th of n contenders in round r of a balanced (Williams) Latin square: 0, 1, n-1, 2, n-2, ... shifted by r. */
function balanced(n, round, i) {
  const base = i === 0 ? 0 : i % 2 === 1 ? (i + 1) / 2 : n - i / 2;
  return (base + round) % n;
}

function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function fmt(v) {
  if (typeof v !== 'number' || Number.isNaN(v)) return '?';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function load() {
  const [m1, m5, m15] = loadavg().map((v) => Math.round(v * 100) / 100);
  return { '1m': m1, '5m': m5, '15m': m15 };
}

function runChild(command, args, timeoutS) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf(MARKER);
      if (code === 0 && at >= 0) resolve(JSON.parse(stdout.slice(at + MARKER.length).split('\n')[0]));
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`));
    });
  });
}
