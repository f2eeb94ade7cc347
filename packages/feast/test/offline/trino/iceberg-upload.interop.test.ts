/**
 * Entity rows uploaded to the platform's `iceberg` catalog (Iceberg tables in a JDBC catalog on PostgreSQL, files
 * on the local file system: they survive a Trino restart, unlike `memory`): the same answers as the memory upload
 * on the same rows, a real Iceberg table on disk while the query runs, and the table (metadata and files) gone
 * afterwards — after success, a failed upload, a query killed on the server and a caller's abort. Feast Python's
 * Trino store takes the same config (catalog iceberg, connector { type: iceberg, file_format: parquet }) and gives
 * the same answers as on memory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AbortError, ConnectionError } from '@mlops/core';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore, type RepoConfig, TrinoQueryError } from '../../../src/index';
import { root } from '../../support/platform';
import { entityColumns, entityRowsForEdgeCases, randomEntityRows, tableRows } from '../support';
import {
  feastTrinoHistorical,
  setupTrinoRepo,
  type TrinoRepo,
  trinoFeaturesPy,
  trinoStatement,
  trinoStoreYaml,
  trinoUrl,
} from './support';

/** Where the platform's iceberg catalog keeps its tables' files (platform/lib/trino.sh: local:///warehouse). */
const warehouse = resolve(root, 'platform/.state/data/trino-iceberg/warehouse');

let repo: TrinoRepo;
let config: RepoConfig;
let memory: FeatureStore;
const schemas: string[] = [];

beforeAll(async () => {
  repo = await setupTrinoRepo();
  memory = new FeatureStore({ repoPath: repo.repoPath });
  config = await memory.getConfig();
  const catalogs = await trinoStatement('SHOW CATALOGS');
  if (!catalogs.some((r) => r[0] === 'iceberg')) {
    throw new Error(
      `Trino on ${trinoUrl} has no iceberg catalog: restart it from this checkout (\`pnpm platform down trino && pnpm platform up trino\`).`,
    );
  }
}, 300_000);

afterAll(async () => {
  await memory?.close();
  for (const schema of schemas) {
    // Feast Python's leftovers, if any (ours are checked gone by each test).
    for (const [table] of await tablesIn(schema).catch(() => []))
      await trinoStatement(`DROP TABLE IF EXISTS iceberg.${schema}."${String(table)}"`).catch(() => {});
    await trinoStatement(`DROP SCHEMA IF EXISTS iceberg.${schema}`).catch(() => {});
    // The JDBC catalog leaves the schema's (empty) directory behind.
    rmSync(join(warehouse, schema), { recursive: true, force: true });
  }
});

/** A store uploading to a schema of its own in the iceberg catalog, with these options. */
function icebergStore(options: ConstructorParameters<typeof FeatureStore>[0] = {}): {
  store: FeatureStore;
  schema: string;
} {
  const schema = `mlops_ice_${process.pid}_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  const offline: Record<string, unknown> = {
    ...(config.offlineStore as Record<string, unknown>),
    catalog: 'iceberg',
    dataset: schema,
    connector: { type: 'iceberg', file_format: 'parquet' },
  };
  const store = new FeatureStore({
    ...options,
    config: { ...config, offlineStore: offline as RepoConfig['offlineStore'] },
  });
  return { store, schema };
}

/** The Iceberg tables of a schema (none when the schema does not exist yet). */
async function tablesIn(schema: string): Promise<unknown[][]> {
  return trinoStatement(`SHOW TABLES FROM iceberg.${schema}`).catch((error: Error) =>
    /does not exist|not found/i.test(error.message) ? [] : Promise.reject(error),
  );
}

/** The table directories under the schema's warehouse directory. */
function tableDirs(schema: string): string[] {
  const dir = join(warehouse, schema);
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A fetch over the real one that sees each request (method, URL, POST body). */
function watchingFetch(
  handle: (request: Request, body: string, send: () => Promise<Response>) => Promise<Response>,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.method === 'POST' ? await request.clone().text() : '';
    return handle(request, body, () => fetch(request));
  };
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

const ALL = [
  'driver_stats:conv_rate',
  'driver_stats:acc_rate',
  'driver_stats:trips',
  'driver_stats:note',
  'driver_stats_no_ttl:trips',
  'pair_stats:score',
  'pair_stats:label',
  'mapped_stats:rating',
  'global_stats:total_rides',
];

function expectSame(ours: Table, reference: Table): void {
  expect(ours.schema.fields.map((f) => [f.name, String(f.type)])).toEqual(
    reference.schema.fields.map((f) => [f.name, String(f.type)]),
  );
  expect(ours.numRows).toBe(reference.numRows);
  expect(tableRows(ours)).toEqual(tableRows(reference));
}

describe('entity rows uploaded to iceberg', () => {
  it('the same answers as the memory upload; an Iceberg table on disk while the query runs, gone after', {
    timeout: 300_000,
  }, async () => {
    let during: { tables: unknown[][]; dirs: string[]; files: unknown[][] } | undefined;
    let entityTable: string | undefined;
    const watching = watchingFetch(async (request, body, send) => {
      if (request.method === 'POST' && body.startsWith('WITH entity_rows') && !during) {
        const tables = await tablesIn(schema);
        entityTable = String(tables[0]?.[0]);
        during = {
          tables,
          dirs: tableDirs(schema),
          files: await trinoStatement(
            `SELECT file_format, record_count FROM iceberg.${schema}."${entityTable}$files"`,
          ),
        };
      }
      return send();
    });
    const { store, schema } = icebergStore({ trino: { fetch: watching } });
    const edge = entityRowsForEdgeCases().filter((r) => r.driver_id !== 8); // exact twins: either row is right
    for (const rows of [edge, randomEntityRows(17, 500)]) {
      const request = { entityDf: entityColumns(rows), features: ALL, fullFeatureNames: true };
      const ours = await (await store.getHistoricalFeatures(request)).toArrow();
      const reference = await (await memory.getHistoricalFeatures(request)).toArrow();
      expect(ours.numRows).toBe(rows.length);
      expectSame(ours, reference);
    }
    expect(during?.tables).toHaveLength(1);
    expect(entityTable).toMatch(/^mlops_entity_df_[0-9a-f]{16}$/);
    expect(during?.dirs).toHaveLength(1);
    expect(during?.dirs[0]).toMatch(/^mlops_entity_df_[0-9a-f]{16}-/);
    // Parquet data files holding every entity row.
    expect(during?.files.length).toBeGreaterThan(0);
    expect(during?.files.every((f) => f[0] === 'PARQUET')).toBe(true);
    expect(during?.files.reduce((n, f) => n + Number(f[1]), 0)).toBe(edge.length);
    // Dropped: no table in the catalog, no files left.
    expect(await tablesIn(schema)).toEqual([]);
    expect(tableDirs(schema)).toEqual([]);
    await store.close();
  });

  it("toSQL creates the table WITH (format = 'parquet') in the iceberg catalog", {
    timeout: 60_000,
  }, async () => {
    const { store, schema } = icebergStore();
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(randomEntityRows(3, 5)),
      features: ['driver_stats:trips'],
    });
    const sql = job.toSQL();
    expect(sql).toMatch(
      new RegExp(
        `^CREATE TABLE "iceberg"\\."${schema}"\\."mlops_entity_df_[0-9a-f]{16}" \\([^;]*\\) WITH \\(format = 'parquet'\\);`,
      ),
    );
    expect(sql).toMatch(
      /DROP TABLE IF EXISTS "iceberg"\."mlops_ice_[^"]+"\."mlops_entity_df_[0-9a-f]{16}";$/,
    );
    await store.close();
  });

  it('an upload that fails half way: the error, and the table dropped', { timeout: 300_000 }, async () => {
    let inserts = 0;
    // Every INSERT after the first drops its connection (the first one writes files).
    const failing = watchingFetch(async (request, body, send) => {
      if (request.method === 'POST' && body.startsWith('INSERT INTO') && ++inserts >= 2) {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        });
      }
      return send();
    });
    const { store, schema } = icebergStore({ trino: { fetch: failing, uploadConcurrency: 1 } });
    // Enough rows for several INSERTs (each under Trino's statement length limit).
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(randomEntityRows(19, 60_000)),
      features: ['driver_stats:trips'],
    });
    const error = await failure(job.toArrow());
    expect(ConnectionError.isInstance(error), String(error)).toBe(true);
    expect(inserts).toBeGreaterThanOrEqual(2);
    expect(await tablesIn(schema)).toEqual([]);
    expect(tableDirs(schema)).toEqual([]);
    await store.close();
  });

  it('a query killed on the server: its error name, and the table dropped', {
    timeout: 300_000,
  }, async () => {
    let queryId: string | undefined;
    let killed: string | undefined;
    // Trino dispatches a query on the first poll of its queued URI: after that poll, an administrator kills it.
    const killing = watchingFetch(async (request, body, send) => {
      const response = await send();
      if (request.method === 'POST' && body.startsWith('WITH entity_rows')) {
        const text = await response.text();
        queryId = (JSON.parse(text) as { id: string }).id;
        return new Response(text, { status: response.status, headers: response.headers });
      }
      if (queryId && !killed && request.method === 'GET' && request.url.includes(`/${queryId}/`)) {
        const kill = await fetch(`${trinoUrl}/v1/query/${queryId}/killed`, {
          method: 'PUT',
          headers: { 'X-Trino-User': 'mlops-test' },
          body: 'mlops test',
        });
        if (!kill.ok) throw new Error(`kill ${queryId}: ${kill.status} ${await kill.text()}`);
        killed = queryId;
      }
      return response;
    });
    const { store, schema } = icebergStore({ trino: { fetch: killing } });
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(randomEntityRows(21, 20_000)),
      features: ['driver_stats:trips', 'pair_stats:label'],
    });
    const error = await failure(job.toArrow());
    expect(TrinoQueryError.isInstance(error), String(error)).toBe(true);
    expect((error as TrinoQueryError).errorName).toBe('ADMINISTRATIVELY_KILLED');
    expect((error as TrinoQueryError).queryId).toBe(queryId);
    expect(await tablesIn(schema)).toEqual([]);
    expect(tableDirs(schema)).toEqual([]);
    await store.close();
  });

  it("a caller's abort mid-stream: AbortError, and the table dropped", { timeout: 300_000 }, async () => {
    const { store, schema } = icebergStore();
    const controller = new AbortController();
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(randomEntityRows(23, 5_000)),
      features: ['driver_stats:trips', 'pair_stats:label'],
    });
    let batches = 0;
    const error = await failure(
      (async () => {
        for await (const _ of job.stream({ signal: controller.signal, batchRows: 100 })) {
          batches++;
          controller.abort();
        }
      })(),
    );
    expect(AbortError.isInstance(error), String(error)).toBe(true);
    expect(batches).toBe(1);
    expect(await tablesIn(schema)).toEqual([]);
    expect(tableDirs(schema)).toEqual([]);
    await store.close();
  });
});

describe('Feast Python on the same config', () => {
  it('feast[trino] uploads to iceberg with the same keys and answers as on memory', {
    timeout: 300_000,
  }, async () => {
    const schema = `mlops_ice_py_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    // Feast's upload runs CREATE TABLE IF NOT EXISTS iceberg.<dataset>.<name>: its schema must exist.
    await trinoStatement(`CREATE SCHEMA IF NOT EXISTS iceberg.${schema}`);
    // The same repo (its registry) with the offline store pointed at iceberg.
    const dir = mkdtempSync(join(tmpdir(), `mlops-offline-trino-ice-${process.pid}-`));
    try {
      const yaml = trinoStoreYaml(repo.repoPath, repo.project, schema)
        .replace('  catalog: memory\n', '  catalog: iceberg\n')
        .replace('    type: memory\n', '    type: iceberg\n    file_format: parquet\n');
      expect(yaml).toContain('catalog: iceberg');
      expect(yaml).toContain('file_format: parquet');
      writeFileSync(join(dir, 'feature_store.yaml'), yaml);
      writeFileSync(join(dir, 'features.py'), trinoFeaturesPy());
      const rows = randomEntityRows(29, 200);
      const entityRows = { row_id: rows.map((_, i) => i), ...entityColumns(rows) };
      const features = ['driver_stats:trips', 'driver_stats:note', 'pair_stats:label'];
      const sorted = (t: Table) =>
        tableRows(t)
          .map((r) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}` : v)))
          .sort();
      const onIceberg = feastTrinoHistorical({ repoPath: dir, entityRows, features });
      const onMemory = feastTrinoHistorical({ repoPath: repo.repoPath, entityRows, features });
      expect(onIceberg.numRows).toBe(rows.length);
      expect(sorted(onIceberg)).toEqual(sorted(onMemory));
      // Ours on iceberg, the same rows: the same features per row as Feast's (Feast's Int64 come back as float64).
      const { store } = icebergStore();
      const ours = tableRows(
        await (await store.getHistoricalFeatures({ entityDf: entityRows, features })).toArrow(),
      );
      const feast = new Map(tableRows(onIceberg).map((r) => [Number(r.row_id), r]));
      for (const row of ours) {
        const theirs = feast.get(Number(row.row_id))!;
        const trips = theirs.trips;
        expect(row.trips === null ? null : Number(row.trips)).toBe(
          trips === null || (typeof trips === 'number' && Number.isNaN(trips)) ? null : Number(trips),
        );
        expect(row.note).toBe(theirs.note);
        expect(row.label).toBe(theirs.label);
      }
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
