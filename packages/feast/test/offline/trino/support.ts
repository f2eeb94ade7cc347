/**
 * Fixture of the Trino offline-store tests: the same off_* tables as the PostgreSQL interop tests (seeded by
 * ../support.ts), read by Trino through its read-only `postgresql` catalog; a throw-away Feast repo whose views
 * are the PostgreSQL repo's (../repo/features.py) with TrinoSources (`postgresql.public.off_*`) and
 * `offline_store: type: trino` (entity rows uploaded to the `memory` catalog), applied with the feast-trino venv
 * (feast[trino]); Feast Python's Trino answers through ../python_historical.py run in that venv.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { pins, root } from '../../support/platform';
import { encodeEntityColumns, type FeastHistoricalRequest, setupOfflineRepo } from '../support';

export const trinoPort = Number(pins.TRINO_PORT ?? 8095);
export const trinoUrl = `http://127.0.0.1:${trinoPort}`;
export const feastTrinoVenv = resolve(root, 'platform/.state/venvs/feast-trino');
const feastTrinoPython = join(feastTrinoVenv, 'bin/python');
const feastTrinoCli = join(feastTrinoVenv, 'bin/feast');
const featuresPy = resolve(import.meta.dirname, '../repo/features.py');
const harnessPy = resolve(import.meta.dirname, '../python_historical.py');
const redisPort = Number(pins.REDIS_PORT ?? 6379);

/** Fails loudly (never skips) when Trino or the feast-trino venv is missing. */
export async function requireTrino(): Promise<void> {
  const info = await fetch(`${trinoUrl}/v1/info`).then(
    (r) => r.json() as Promise<{ starting?: boolean }>,
    () => undefined,
  );
  if (!info || info.starting) {
    throw new Error(`Trino is not running on ${trinoUrl}: run \`pnpm platform up trino\` first.`);
  }
  if (!existsSync(feastTrinoCli)) {
    throw new Error(
      `The feast-trino venv is missing (${feastTrinoVenv}): run \`pnpm platform up trino\` first.`,
    );
  }
}

/** The PostgreSQL repo's features.py with TrinoSources over the same tables, through the postgresql catalog. */
export function trinoFeaturesPy(): string {
  return readFileSync(featuresPy, 'utf8')
    .replace(
      'from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource',
      'from feast.infra.offline_stores.contrib.trino_offline_store.trino_source import TrinoSource',
    )
    .replaceAll('PostgreSQLSource(', 'TrinoSource(')
    .replace(/table="(off_[a-z_]+)"/g, 'table="postgresql.public.$1"')
    .replace(/FROM (off_[a-z_]+)/g, 'FROM postgresql.public.$1');
}

export function trinoStoreYaml(dir: string, project: string, dataset = 'feast'): string {
  return [
    `project: ${project}`,
    'provider: local',
    'registry:',
    '  registry_type: file',
    `  path: ${JSON.stringify(join(dir, 'registry.db'))}`,
    '  cache_ttl_seconds: 5',
    'online_store:',
    '  type: redis',
    `  connection_string: "127.0.0.1:${redisPort}"`,
    'offline_store:',
    '  type: trino',
    '  host: 127.0.0.1',
    `  port: ${trinoPort}`,
    '  catalog: memory',
    '  user: mlops-test',
    `  dataset: ${dataset}`,
    '  connector:',
    '    type: memory',
    'entity_key_serialization_version: 3',
    '',
  ].join('\n');
}

export interface TrinoRepo {
  repoPath: string;
  project: string;
  /** The PostgreSQL repo over the same rows. */
  pgRepoPath: string;
}

let repo: Promise<TrinoRepo> | undefined;

function runTrinoVenv(bin: string, args: string[], cwd: string): string {
  const result = spawnSync(bin, args, {
    cwd,
    env: { ...process.env, FEAST_USAGE: 'False' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${bin} ${args.join(' ')} failed (${result.status}):\n${result.stderr}\n${result.stdout}`,
    );
  }
  return result.stdout;
}

/** The Trino repo (once per process), over the seeded tables; the schema entity rows go to exists. */
export function setupTrinoRepo(project = 'mlops_offline_trino'): Promise<TrinoRepo> {
  repo ??= (async () => {
    await requireTrino();
    const pg = await setupOfflineRepo();
    const repoPath = mkdtempSync(join(tmpdir(), `mlops-offline-trino-${process.pid}-`));
    process.once('exit', () => rmSync(repoPath, { recursive: true, force: true }));
    writeFileSync(join(repoPath, 'feature_store.yaml'), trinoStoreYaml(repoPath, project));
    writeFileSync(join(repoPath, 'features.py'), trinoFeaturesPy());
    // Feast's upload does CREATE TABLE IF NOT EXISTS memory.feast.<name>: the schema must exist.
    await trinoStatement('CREATE SCHEMA IF NOT EXISTS memory.feast');
    // The CLI through the venv's python: the venv's bin/ scripts carry the absolute path of the checkout that
    // built it in their #! line, which another worktree sharing platform/.state may no longer have.
    runTrinoVenv(feastTrinoPython, ['-m', 'feast.cli.cli', '-c', repoPath, 'apply'], repoPath);
    return { repoPath, project, pgRepoPath: pg.repoPath };
  })();
  return repo;
}

/** Runs one statement on Trino with plain fetch (fixtures only); returns its rows. */
export async function trinoStatement(sql: string): Promise<unknown[][]> {
  const headers = { 'X-Trino-User': 'mlops-test' };
  let body = (await (
    await fetch(`${trinoUrl}/v1/statement`, { method: 'POST', body: sql, headers })
  ).json()) as {
    nextUri?: string;
    data?: unknown[][];
    error?: { message: string };
  };
  const rows: unknown[][] = [];
  for (;;) {
    if (body.error) throw new Error(`Trino: ${body.error.message}`);
    rows.push(...(body.data ?? []));
    if (!body.nextUri) return rows;
    body = (await (await fetch(body.nextUri, { headers })).json()) as typeof body;
  }
}

/** Feast Python's Trino offline store: get_historical_features(...).to_arrow() in the feast-trino venv. */
export function feastTrinoHistorical(request: FeastHistoricalRequest): Table {
  const dir = mkdtempSync(join(tmpdir(), `mlops-offline-trino-io-${process.pid}-`));
  try {
    const output = join(dir, 'result.arrow');
    const body: Record<string, unknown> = {
      mode: 'historical',
      repo: request.repoPath,
      output,
      ...(request.featureService
        ? { feature_service: request.featureService }
        : { features: request.features }),
      full_feature_names: request.fullFeatureNames ?? false,
      filter_by_created_timestamp: request.filterByCreatedTimestamp ?? false,
    };
    if (request.entitySql !== undefined) body.entity_sql = request.entitySql;
    else if (request.entityRows) {
      body.entity_df = {
        columns: encodeEntityColumns(request.entityRows, request.entityTypes, request.timestampTz ?? true),
      };
    }
    const requestFile = join(dir, 'request.json');
    writeFileSync(requestFile, JSON.stringify(body));
    runTrinoVenv(feastTrinoPython, [harnessPy, requestFile], dir);
    return tableFromIPC(readFileSync(output));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
