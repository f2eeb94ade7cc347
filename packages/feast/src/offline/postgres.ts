import { readFileSync } from 'node:fs';
import { ConnectionError, MlopsError, type ServiceId, TimeoutError } from '@mlops/core';
import { Redactor } from '@mlops/core/sdk';
import pg from 'pg';
import type { PostgresOfflineStoreConfig } from '../config/repo-config';
import { OfflineStoreError } from '../errors';

/** The offline store's service on errors; `OFFLINE_LABEL` names it in messages. */
export const OFFLINE_SERVICE = 'postgres' satisfies ServiceId;
const OFFLINE_LABEL = 'the PostgreSQL offline store';

/** The SQL operation of a step, for an error's `method` (the step itself, a sentence, goes in the message). */
function operationOf(step: string): string {
  if (step === 'connecting') return 'CONNECT';
  if (step === 'starting a transaction') return 'BEGIN';
  if (step === 'applying the query settings') return 'SET';
  if (step === 'uploading the entity rows') return 'COPY FROM';
  if (step.startsWith('reading ')) return 'COPY TO';
  if (step.startsWith('creating an index')) return 'CREATE INDEX';
  return 'QUERY';
}

export interface OfflineConnectionOptions {
  /** Most connections the pool opens (Feast's max_conn, default 10). */
  maxConnections?: number;
  /** How long to wait for a connection, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** The application_name PostgreSQL shows for these connections (pg_stat_activity). Default '@mlops/feast'. */
  applicationName?: string;
}

/** Feast's sslmode → node-postgres's ssl option. */
function sslOption(config: PostgresOfflineStoreConfig): pg.PoolConfig['ssl'] {
  const mode = config.sslmode ?? 'require';
  if (mode === 'disable') return false;
  const extra = config as PostgresOfflineStoreConfig & {
    sslrootcertPath?: string;
    sslcertPath?: string;
    sslkeyPath?: string;
  };
  const files = {
    ...(extra.sslrootcertPath ? { ca: readFileSync(extra.sslrootcertPath, 'utf8') } : {}),
    ...(extra.sslcertPath ? { cert: readFileSync(extra.sslcertPath, 'utf8') } : {}),
    ...(extra.sslkeyPath ? { key: readFileSync(extra.sslkeyPath, 'utf8') } : {}),
  };
  // allow/prefer/require encrypt without checking the server's certificate, as libpq does.
  if (mode === 'verify-ca' || mode === 'verify-full') return { rejectUnauthorized: true, ...files };
  return { rejectUnauthorized: false, ...files };
}

/** Where the offline store is, for messages (no password). */
export function offlineUrl(config: PostgresOfflineStoreConfig): string {
  return `postgresql://${config.user ? `${encodeURIComponent(config.user)}@` : ''}${config.host}:${config.port}/${config.database}`;
}

/**
 * A pool for the offline store, connected as Feast connects: search_path = db_schema, public. Feast's
 * session time zone is the server's default; so is ours, so naive timestamps compare the same way.
 */
export function createOfflinePool(
  config: PostgresOfflineStoreConfig,
  options: OfflineConnectionOptions = {},
): pg.Pool {
  const pool = new pg.Pool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    ssl: sslOption(config),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? '@mlops/feast',
    // Idle pooled connections do not keep the process open (a script that forgets close() still exits).
    allowExitOnIdle: true,
    options: `-c search_path=${searchPathOption(config.dbSchema || 'public')}`,
  });
  // An idle connection that dies (server restart) must not crash the process; the next checkout reconnects.
  pool.on('error', () => {});
  return pool;
}

/** The search_path value as a libpq `options` word: the schema quoted, spaces and backslashes escaped. */
function searchPathOption(schema: string): string {
  const quoted = schema === 'public' ? 'public' : pg.escapeIdentifier(schema);
  return `${quoted},public`.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function isConnectionFailure(error: Error & { code?: string }): boolean {
  if (error.code && CONNECTION_CODES.has(error.code)) return true;
  // SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server is shutting down or restarting).
  if (error.code && (/^08/.test(error.code) || /^57P0[1-3]$/.test(error.code))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
    error.message,
  );
}

/**
 * A driver or server error as one of ours: ConnectionError when the connection failed or dropped,
 * TimeoutError when statement_timeout cancelled the query, else OfflineStoreError with PostgreSQL's
 * message, detail and hint. Errors of ours pass through.
 */
export function offlineError(
  error: unknown,
  init: {
    step: string;
    config: PostgresOfflineStoreConfig;
    timeoutMs?: number | undefined;
    /** What to advise per SQLSTATE when the SQL at fault is not ours (the user's entity query). */
    advice?: Readonly<Record<string, string>>;
  },
): MlopsError {
  if (MlopsError.isInstance(error)) return error;
  const raw = (error instanceof Error ? error : new Error(String(error))) as Error & {
    code?: string;
    detail?: string;
    hint?: string;
  };
  // The password never reaches an error, even from a server that echoes it back: message, detail, hint
  // scrubbed, and the driver's error replaced by a copy holding only those (and its SQLSTATE).
  const redactor = new Redactor();
  redactor.addSecret(init.config.password);
  const e: Error & { code?: string; detail?: string; hint?: string } = new Error(redactor.text(raw.message));
  e.name = raw.name;
  if (raw.code !== undefined) e.code = raw.code;
  if (raw.detail !== undefined) e.detail = redactor.text(raw.detail);
  if (raw.hint !== undefined) e.hint = redactor.text(raw.hint);
  const url = offlineUrl(init.config);
  const method = operationOf(init.step);
  if (e.code === '57014' && init.timeoutMs !== undefined) {
    return new TimeoutError(
      { service: OFFLINE_SERVICE, method, url, scope: 'total', timeoutMs: init.timeoutMs, cause: e },
      `${init.step} ${url} to ${OFFLINE_LABEL} timed out after ${init.timeoutMs} ms (the whole call, retries included). Raise the timeoutMs option if the server is just slow.`,
    );
  }
  if (isConnectionFailure(e)) {
    return new ConnectionError(
      { service: OFFLINE_SERVICE, method, url, cause: e },
      `The connection to ${OFFLINE_LABEL} at ${url} failed while ${init.step} (${e.message}). Nothing was returned; check that PostgreSQL is running and try again.`,
    );
  }
  const parts = [`${OFFLINE_LABEL} refused ${init.step}: ${e.message}`];
  if (e.detail) parts.push(`Detail: ${e.detail}`);
  if (e.hint) parts.push(`Hint: ${e.hint}`);
  const advice = (init.advice ?? ADVICE)[e.code ?? ''];
  if (advice) parts.push(advice);
  return new OfflineStoreError({ step: init.step, sqlState: e.code, cause: e }, `${parts.join('. ')}.`);
}

/** Advice for errors in the user's own entity SQL query (entityDf given as SQL). */
export const ENTITY_SQL_ADVICE: Readonly<Record<string, string>> = {
  '42P01':
    "A table your entity SQL query (entityDf) names does not exist in this database or schema (offline_store.db_schema, on the search_path); check the query's FROM",
  '42703': 'A column your entity SQL query (entityDf) names does not exist; check the query',
  '42601': 'Your entity SQL query (entityDf) is not valid SQL; check it',
  '42883':
    'Your entity SQL query (entityDf) applies a function or operator to a type it does not take; check the query',
};

const ADVICE: Record<string, string> = {
  '42P01':
    "A feature view's source table does not exist in this database or schema (offline_store.db_schema); check the source's table or query",
  '42703':
    'A column named by the feature view (a feature, join key, timestamp_field or created_timestamp_column, after field_mapping) is missing from its source; run `feast apply` after changing the source, or fix field_mapping',
  '42883':
    'A join key of the entity rows has another type than the source column it is compared with; give entity values of the join key type',
};
