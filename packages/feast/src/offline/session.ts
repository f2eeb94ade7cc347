import type { Readable } from 'node:stream';
import { AbortError, type MlopsError } from '@mlops/core';
import { type RecordBatch, type Schema, Table } from 'apache-arrow';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { PostgresOfflineStoreConfig } from '../config/repo-config';
import { InvalidFeatureRequestError } from '../errors';
import { CopyBinaryDecoder } from './pg-copy';
import { offlineError } from './postgres';

export interface RunOptions {
  /** Cancels the work: the connection is closed, and with it the query and any temporary table. */
  signal?: AbortSignal;
  /** A bound for the whole run, in ms: PostgreSQL cancels the query (statement_timeout). */
  timeoutMs?: number;
}

export interface StreamOptions extends RunOptions {
  /** Rows per record batch (default 65 536): what bounds memory while streaming. */
  batchRows?: number;
}

/** A query's text and the settings it reads with current_setting (values travel apart from the text). */
export interface SettingsQuery {
  text: string;
  /** Setting name → value, set with set_config(name, value, true) in the transaction before the query. */
  settings: Record<string, string>;
}

/** One connection in one transaction, for one run. Released exactly once; destroyed when anything failed. */
export interface OfflineSession {
  client: pg.PoolClient;
  release(destroy: boolean): void;
  error(cause: unknown, step: string): MlopsError;
  throwIfAborted(): void;
}

function aborted(signal: AbortSignal | undefined): AbortError {
  return new AbortError('The offline store work was aborted.', { reason: signal?.reason });
}

/**
 * Checks out a connection, begins a transaction, applies the timeout and the settings, then runs `prepare`
 * (for example, uploading entity rows into a temporary table).
 */
export async function openSession(
  pool: pg.Pool,
  config: PostgresOfflineStoreConfig,
  options: RunOptions,
  settings: Record<string, string>,
  prepare?: (client: pg.PoolClient) => Promise<void>,
): Promise<OfflineSession> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw aborted(signal);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) {
    throw new InvalidFeatureRequestError(
      `timeoutMs must be a positive whole number of ms, not ${timeoutMs}.`,
    );
  }
  const error = (cause: unknown, step: string) =>
    signal?.aborted ? aborted(signal) : offlineError(cause, { step, config, timeoutMs });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (cause) {
    throw error(cause, 'connecting');
  }
  let released = false;
  // While checked out, a connection that dies (killed, aborted) reports through the running query; without a
  // listener its 'error' event would also crash the process.
  const onError = () => {};
  client.on('error', onError);
  // Aborting closes the socket: PostgreSQL then stops the query and drops the temporary tables.
  const onAbort = () => {
    // Optional chaining kept: a client that never connected (or pg-native's) has no socket to close.
    client.connection?.stream?.destroy();
  };
  const session: OfflineSession = {
    client,
    release(destroy) {
      if (released) return;
      released = true;
      signal?.removeEventListener('abort', onAbort);
      client.off('error', onError);
      client.release(destroy ? true : undefined);
    },
    error,
    throwIfAborted() {
      if (signal?.aborted) throw aborted(signal);
    },
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let step = 'starting a transaction';
  try {
    await client.query('BEGIN');
    const all: Record<string, string> = {
      ...(timeoutMs !== undefined ? { statement_timeout: String(timeoutMs) } : {}),
      ...settings,
    };
    const names = Object.keys(all);
    if (names.length > 0) {
      step = 'applying the query settings';
      await client.query(
        `SELECT ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
        names.flatMap((n) => [n, all[n]!]),
      );
    }
    if (prepare) {
      step = 'uploading the entity rows';
      await prepare(client);
    }
    return session;
  } catch (cause) {
    session.release(true);
    throw error(cause, step);
  }
}

/** Sets `settings` for the rest of the transaction only (set_config(name, value, true), i.e. SET LOCAL). */
export async function applySettings(client: pg.ClientBase, settings: Record<string, string>): Promise<void> {
  const names = Object.keys(settings);
  if (names.length === 0) return;
  await client.query(
    `SELECT ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
    names.flatMap((n) => [n, settings[n]!]),
  );
}

/** Runs `work` in a session and commits; on any failure the connection is destroyed and the error typed. */
export async function runInSession<T>(
  open: () => Promise<OfflineSession>,
  step: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const session = await open();
  try {
    const result = await work(session.client);
    session.throwIfAborted();
    await session.client.query('COMMIT');
    session.release(false);
    return result;
  } catch (error) {
    session.release(true);
    throw session.error(error, step);
  }
}

/**
 * Streams a query's result as Arrow record batches: its column types are described first (LIMIT 0), then
 * the rows come with COPY (...) TO STDOUT (FORMAT binary) and are decoded as they arrive. Given a function
 * instead of the query, it is called with the session's connection first and returns the query. A result that
 * ends early (a dropped connection, a cancelled query) throws; it is never returned as complete.
 */
export async function* streamQuery(
  open: () => Promise<OfflineSession>,
  queryOrPrepare: string | ((client: pg.PoolClient) => Promise<string>),
  options: StreamOptions & { step: string; onSchema?: (schema: Schema) => void },
): AsyncGenerator<RecordBatch> {
  const session = await open();
  let out: Readable | undefined;
  let failed = true;
  try {
    // A function gets the session first (after its preparation): to choose the query from what it uploaded.
    const query = typeof queryOrPrepare === 'string' ? queryOrPrepare : await queryOrPrepare(session.client);
    // Describing runs the query with LIMIT 0; its plan is costed as the whole query's, so PostgreSQL would JIT-
    // compile it for nothing (hundreds of ms for a big frame). JIT stays as configured for the real run.
    const jit = await session.client.query<{ jit: string }>(
      "SELECT current_setting('jit') AS jit, set_config('jit', 'off', true)",
    );
    const described = await session.client.query({
      text: `SELECT * FROM (${query}) AS result LIMIT 0`,
      rowMode: 'array',
    });
    await session.client.query("SELECT set_config('jit', $1, true)", [jit.rows[0]!.jit]);
    const decoder = new CopyBinaryDecoder(
      described.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
      { batchRows: options.batchRows ?? 65_536, source: options.step },
    );
    options.onSchema?.(decoder.schema);
    out = session.client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
    for await (const chunk of out) {
      session.throwIfAborted();
      for (const batch of decoder.push(chunk as Uint8Array)) yield batch;
    }
    session.throwIfAborted();
    for (const batch of decoder.end()) yield batch;
    await session.client.query('COMMIT');
    failed = false;
  } catch (error) {
    throw session.error(error, options.step);
  } finally {
    if (failed) out?.destroy();
    // A connection left mid-COPY (an error, or the consumer stopped early) cannot be reused: destroy it.
    session.release(failed);
  }
}

/** Every batch of a stream as one table (the schema, when there are no rows). Throws if the stream does. */
export async function collectTable(
  stream: (onSchema: (schema: Schema) => void) => AsyncIterable<RecordBatch>,
): Promise<Table> {
  const batches: RecordBatch[] = [];
  let schema: Schema | undefined;
  for await (const batch of stream((s) => {
    schema = s;
  }))
    batches.push(batch);
  return batches.length > 0 ? new Table(batches) : new Table(schema!);
}
