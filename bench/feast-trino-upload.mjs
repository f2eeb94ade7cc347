// What uploading entity rows costs on the Trino offline store, by the catalog they are uploaded to:
//   memory  — the platform's `memory` catalog (lost when a worker restarts);
//   iceberg — the platform's `iceberg` catalog (JDBC catalog in PostgreSQL, Parquet files on the local disk:
//             survives a restart).
// Each run is job.explain() of a one-view request: CREATE TABLE, the INSERTs, EXPLAIN (planning only, the same
// for both), DROP TABLE; memory and iceberg alternate round by round. Reported: medians per size, the ratio
// iceberg / memory, and the marginal cost per entity row between the two sizes (what grows with the rows, the
// fixed per-job cost of creating and dropping the table taken out). The view reads a one-row TrinoSource query
// (the features do not matter here), so no tables need seeding. SIZES (default 10000,100000), ROUNDS (default 5).
// Usage: pnpm build && pnpm platform up trino && pnpm --filter @mlops/bench feast-trino-upload
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeatureStore } from '@mlops/feast';
import { interleave, mulberry32, summarise, writeResults } from './lib.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const trinoPython = `${repoRoot}platform/.state/venvs/feast-trino/bin/python`;
const TRINO = process.env.TRINO_URL ?? 'http://127.0.0.1:8095';
const sizes = (process.env.SIZES ?? '10000,100000').split(',').map(Number);
const rounds = Number(process.env.ROUNDS ?? 5);
const T0_MS = Date.UTC(2026, 0, 1);

const FEATURES_PY = `
from datetime import timedelta
from feast import Entity, FeatureView, Field
from feast.infra.offline_stores.contrib.trino_offline_store.trino_source import TrinoSource
from feast.types import Float64

driver = Entity(name="driver", join_keys=["driver_id"])
source = TrinoSource(
    name="upload_bench_source",
    query="SELECT CAST(1 AS bigint) AS driver_id, TIMESTAMP '2025-12-31 00:00:00 UTC' AS event_timestamp, 0.5 AS f",
    timestamp_field="event_timestamp",
)
upload_bench = FeatureView(
    name="upload_bench", entities=[driver], ttl=timedelta(days=30),
    schema=[Field(name="f", dtype=Float64)], source=source,
)
`;

function repo() {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-trino-upload-'));
  writeFileSync(join(dir, 'features.py'), FEATURES_PY);
  writeFileSync(
    join(dir, 'feature_store.yaml'),
    [
      'project: mlops_bench_trino_upload',
      'provider: local',
      `registry: ${JSON.stringify(join(dir, 'registry.db'))}`,
      'online_store:',
      '  type: sqlite',
      `  path: ${JSON.stringify(join(dir, 'online.db'))}`,
      'offline_store:',
      '  type: trino',
      '  host: 127.0.0.1',
      `  port: ${new URL(TRINO).port}`,
      '  catalog: memory',
      '  user: mlops-bench',
      '  dataset: feast',
      '  connector:',
      '    type: memory',
      'entity_key_serialization_version: 3',
      '',
    ].join('\n'),
  );
  // The CLI through the venv's python (its bin/ scripts name the checkout that built it).
  const applied = spawnSync(trinoPython, ['-m', 'feast.cli.cli', '-c', dir, 'apply'], {
    encoding: 'utf8',
    env: { ...process.env, FEAST_USAGE: 'False' },
  });
  if (applied.status !== 0)
    throw new Error(`feast apply failed (run \`pnpm platform up trino\`):\n${applied.stderr}`);
  return dir;
}

/** One statement through the REST protocol, followed to its end (a statement not polled is abandoned). */
async function trino(sql) {
  const headers = { 'X-Trino-User': 'mlops-bench' };
  let body = await (await fetch(`${TRINO}/v1/statement`, { method: 'POST', body: sql, headers })).json();
  while (body.nextUri) body = await (await fetch(body.nextUri, { headers })).json();
  if (body.error) throw new Error(body.error.message);
}

function entityColumns(size) {
  const random = mulberry32(20261207 + size);
  const ids = new Array(size);
  const ts = new Array(size);
  for (let i = 0; i < size; i++) {
    ids[i] = BigInt(Math.floor(random() * 100_000));
    ts[i] = new Date(T0_MS + Math.floor(random() * 86_400_000));
  }
  return { driver_id: ids, event_timestamp: ts };
}

const dir = repo();
const base = new FeatureStore({ repoPath: dir });
const config = await base.getConfig();
await base.close();
const schema = `mlops_bench_upload_${process.pid}`;
const stores = {
  memory: new FeatureStore({
    config: { ...config, offlineStore: { ...config.offlineStore, dataset: schema } },
  }),
  iceberg: new FeatureStore({
    config: {
      ...config,
      offlineStore: {
        ...config.offlineStore,
        catalog: 'iceberg',
        dataset: schema,
        connector: { type: 'iceberg', file_format: 'parquet' },
      },
    },
  }),
};
const features = ['upload_bench:f'];
const results = {};
const lines = [
  `Entity-row upload on Trino (platform Trino 476, one node): job.explain() = CREATE TABLE + INSERTs + EXPLAIN + DROP TABLE; ${rounds} rounds, medians; load average ${loadavg()[0].toFixed(1)} at start on a 2-core machine shared with other jobs (read the ratios, not the seconds).`,
  '',
  '| entity rows | memory | iceberg | iceberg / memory |',
  '|---:|---:|---:|---:|',
];
try {
  for (const size of sizes) {
    const entityDf = entityColumns(size);
    const jobs = {
      memory: await stores.memory.getHistoricalFeatures({ entityDf, features }),
      iceberg: await stores.iceberg.getHistoricalFeatures({ entityDf, features }),
    };
    const samples = await interleave(
      Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, () => job.explain()])),
      { rounds, warmup: 1 },
    );
    const p50 = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarise(v).p50]));
    results[size] = { p50, samples };
    lines.push(
      `| ${size.toLocaleString('en')} | ${(p50.memory / 1000).toFixed(2)} s | ${(p50.iceberg / 1000).toFixed(2)} s | ${(p50.iceberg / p50.memory).toFixed(2)} |`,
    );
    console.log(lines.at(-1));
  }
  if (sizes.length >= 2) {
    const [a, b] = [sizes[0], sizes.at(-1)];
    const perRow = (k) => ((results[b].p50[k] - results[a].p50[k]) * 1000) / (b - a);
    results.marginalMicrosPerRow = { memory: perRow('memory'), iceberg: perRow('iceberg') };
    lines.push(
      '',
      `Marginal cost per entity row (${a.toLocaleString('en')} → ${b.toLocaleString('en')}): memory ${perRow('memory').toFixed(1)} µs, iceberg ${perRow('iceberg').toFixed(1)} µs.`,
    );
  }
} finally {
  for (const store of Object.values(stores)) await store.close();
  for (const catalog of ['memory', 'iceberg'])
    await trino(`DROP SCHEMA IF EXISTS ${catalog}.${schema}`).catch(() => {});
  // The JDBC catalog leaves the schema's empty directory behind.
  rmSync(join(repoRoot, 'platform/.state/data/trino-iceberg/warehouse', schema), {
    recursive: true,
    force: true,
  });
  rmSync(dir, { recursive: true, force: true });
}
writeResults('feast-trino-upload', results, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
