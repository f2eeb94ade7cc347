/**
 * What FeatureStore loads on first use of a Trino offline store (one dynamic import, as offline-stack).
 */
import { ConfigError } from '@mlops/core';
import type { PgColumn } from '../pg-copy';
import { PG_OID } from '../pg-copy';
import type { HistoricalPlan } from '../plan';
import { TrinoClient } from './client';
import type { TrinoOfflineStoreConfig } from './config';
import { trinoSourceFrom } from './sql';

export { TrinoHistoricalRetrievalJob } from './historical';
export { trinoBatches, trinoPullLatestQuery } from './materialize';

/** How @mlops/feast talks to Trino, on top of feature_store.yaml (which has no session settings). */
export interface TrinoConnectionOptions {
  /** Session properties for every query, e.g. { query_max_execution_time: '30m', join_distribution_type: 'PARTITIONED' }. */
  sessionProperties?: Readonly<Record<string, string>>;
  /** The session time zone (X-Trino-Time-Zone), e.g. 'UTC'; by default the server's. */
  timeZone?: string;
  /** INSERT statements run at once while uploading entity rows (default 2). */
  uploadConcurrency?: number;
  /** A fetch of your own (tests, proxies). */
  fetch?: typeof fetch;
}

function authHeaders(config: TrinoOfflineStoreConfig): Record<string, string> {
  const auth = config.auth;
  if (!auth) return {};
  const c = auth.config ?? {};
  if (auth.type === 'basic' && typeof c.username === 'string' && typeof c.password === 'string') {
    return { Authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` };
  }
  if (auth.type === 'jwt' && typeof c.token === 'string') return { Authorization: `Bearer ${c.token}` };
  throw new ConfigError(
    `offline_store.auth.type ${auth.type}${auth.type === 'basic' || auth.type === 'jwt' ? ' lacks its config (basic: username and password; jwt: token)' : ' needs a Python Trino client'}: @mlops/feast sends basic and jwt authentication.`,
    { option: 'offline_store.auth' },
  );
}

export function createTrinoClient(
  config: TrinoOfflineStoreConfig,
  options: TrinoConnectionOptions = {},
): TrinoClient {
  if (config.httpScheme === 'https' && !config.verify) {
    throw new ConfigError(
      "offline_store.ssl-verify: false is not supported by @mlops/feast (fetch checks certificates); trust the server's CA instead (NODE_EXTRA_CA_CERTS).",
      { option: 'offline_store.ssl-verify' },
    );
  }
  return new TrinoClient(
    {
      baseUrl: `${config.httpScheme}://${config.host}:${config.port}`,
      user: config.user,
      catalog: config.catalog,
      schema: config.dataset,
      source: config.source,
      sessionProperties: options.sessionProperties ?? {},
      timeZone: options.timeZone,
      headers: {
        ...authHeaders(config),
        ...(config.extraCredential ? { 'X-Trino-Extra-Credential': config.extraCredential } : {}),
      },
    },
    options.fetch ? { fetch: options.fetch } : {},
  );
}

/** The PostgreSQL type OID our frame checks use for a Trino column type (timestamps are what matters). */
function oidOfTrinoType(type: string): number {
  const t = type.toLowerCase();
  if (t === 'bigint') return PG_OID.INT8;
  if (t === 'integer' || t === 'smallint' || t === 'tinyint') return PG_OID.INT4;
  if (t === 'double') return PG_OID.FLOAT8;
  if (t === 'real') return PG_OID.FLOAT4;
  if (t === 'boolean') return PG_OID.BOOL;
  if (t === 'date') return PG_OID.DATE;
  if (t === 'varbinary') return PG_OID.BYTEA;
  if (/^timestamp(\(\d+\))? with time zone$/.test(t)) return PG_OID.TIMESTAMPTZ;
  if (/^timestamp(\(\d+\))?$/.test(t)) return PG_OID.TIMESTAMP;
  return PG_OID.TEXT;
}

/** The columns of an entity SQL query, from Trino (the query planned with LIMIT 0, not run). */
export async function describeTrinoEntitySql(client: TrinoClient, sql: string): Promise<PgColumn[]> {
  const result = await client.run(`SELECT * FROM (${sql}) AS entity_query LIMIT 0`, {
    step: 'describing the entity SQL query',
  });
  return result.columns.map((c) => ({ name: c.name, typeOid: oidOfTrinoType(c.type) }));
}

/** A historical plan with each view's FROM as Trino reads its TrinoSource (table names quoted Trino's way). */
export function trinoPlan(plan: HistoricalPlan): HistoricalPlan {
  return { ...plan, views: plan.views.map((v) => ({ ...v, from: trinoSourceFrom(v.source, v.view.name) })) };
}
