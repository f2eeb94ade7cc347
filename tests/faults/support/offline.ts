import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { stringify } from 'yaml';
import { feast } from '../../../packages/feast/test/support/platform';

/** The platform's PostgreSQL (the offline store's database). */
export const postgres = { host: '127.0.0.1', port: 5432, database: 'feast', user: 'postgres' };

/**
 * A feature table of `entities` drivers × `versions` versions each (event timestamps an hour apart, created
 * timestamps with ties and nulls), big enough that its stream is still running when a fault hits it.
 */
export async function createSourceTable(table: string, entities: number, versions: number): Promise<void> {
  const client = new pg.Client(postgres);
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`
      CREATE TABLE ${table} AS
      SELECT (i % ${entities})::bigint AS driver_id,
             timestamptz '2026-11-01 00:00:00+00' + ((i / ${entities}) * interval '1 hour') + (i % 997) * interval '1 microsecond' AS event_timestamp,
             CASE WHEN i % 11 = 0 THEN NULL ELSE timestamptz '2026-11-20 00:00:00+00' + (i % 5) * interval '1 second' END AS created,
             (i % 1000)::real / 8 AS f_float4,
             i::double precision / 3 AS f_float8,
             (i::bigint * 1000003) AS f_int8,
             md5(i::text) AS f_text
      FROM generate_series(0, ${entities * versions - 1}) AS i`);
    // The index a point-in-time lookup per entity row needs (without it each lookup scans the table).
    await client.query(`CREATE INDEX ON ${table} (driver_id, event_timestamp)`);
    await client.query(`ANALYZE ${table}`);
  } finally {
    await client.end();
  }
}

export async function dropTable(table: string): Promise<void> {
  const client = new pg.Client(postgres);
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await client.end();
  }
}

/** How many backends of `applicationName` are running a query right now. */
export async function runningQueries(applicationName: string): Promise<number> {
  const client = new pg.Client(postgres);
  await client.connect();
  try {
    const result = await client.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query NOT ILIKE 'BEGIN%'",
      [applicationName],
    );
    return result.rows[0].n as number;
  } finally {
    await client.end();
  }
}

/** Ends every backend of `applicationName` on the platform's PostgreSQL (a backend killed from outside). */
export async function terminateBackends(applicationName: string): Promise<number> {
  const client = new pg.Client(postgres);
  await client.connect();
  try {
    const result = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [applicationName],
    );
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/**
 * A Feast repo of one online feature view over `table`, applied with the pinned Feast into its own registry;
 * `yamlFor(redisPort, postgresPort)` writes a feature_store.yaml of that registry whose online store is that
 * Redis and whose offline store is PostgreSQL at that port (the platform's, or a Toxiproxy proxy of it).
 */
export function faultsFeastRepo(table: string): {
  dir: string;
  view: string;
  repoFor(redisPort: number, postgresPort: number): string;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-faults-offline-'));
  const project = `faults_${table}`;
  const yaml = (redisPort: number, postgresPort: number) =>
    stringify({
      project,
      provider: 'local',
      registry: { registry_type: 'file', path: join(dir, 'registry.db'), cache_ttl_seconds: 0 },
      online_store: { type: 'redis', redis_type: 'redis', connection_string: `127.0.0.1:${redisPort}` },
      offline_store: {
        type: 'postgres',
        ...postgres,
        port: postgresPort,
        db_schema: 'public',
        password: '',
        sslmode: 'disable',
      },
      entity_key_serialization_version: 3,
      auth: { type: 'no_auth' },
    });
  const view = 'faults_stream';
  writeFileSync(
    join(dir, 'features.py'),
    `from datetime import timedelta
from feast import Entity, FeatureView, Field, ValueType
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource
from feast.types import Float32, Float64, Int64, String

driver = Entity(name="faults_driver", join_keys=["driver_id"], value_type=ValueType.INT64)
${view} = FeatureView(
    name="${view}",
    entities=[driver],
    ttl=timedelta(days=3650),
    schema=[Field(name="f_float4", dtype=Float32), Field(name="f_float8", dtype=Float64),
            Field(name="f_int8", dtype=Int64), Field(name="f_text", dtype=String)],
    online=True,
    source=PostgreSQLSource(name="${table}_source", table="${table}", timestamp_field="event_timestamp",
                            created_timestamp_column="created"),
)
`,
  );
  writeFileSync(join(dir, 'feature_store.yaml'), yaml(6379, postgres.port));
  feast(['apply'], dir);
  let n = 0;
  return {
    dir,
    view,
    repoFor(redisPort, postgresPort) {
      const repo = join(dir, `repo-${++n}`);
      mkdirSync(repo);
      writeFileSync(join(repo, 'feature_store.yaml'), yaml(redisPort, postgresPort));
      return repo;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every hash of a Redis, field by field, as hex: two stores hold the same bytes when these are equal. */
export async function redisContents(port: number): Promise<Record<string, Record<string, string>>> {
  const client = new Redis({ host: '127.0.0.1', port });
  try {
    const out: Record<string, Record<string, string>> = {};
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000);
      cursor = String(next);
      for (const key of keys) {
        // HGETALL as raw buffers: field names are binary (murmur3 hashes), not text.
        const flat = (await client.callBuffer('HGETALL', key)) as Buffer[];
        const fields: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2)
          fields[flat[i]!.toString('hex')] = flat[i + 1]!.toString('hex');
        out[key.toString('hex')] = fields;
      }
    } while (cursor !== '0');
    return out;
  } finally {
    client.disconnect();
  }
}
