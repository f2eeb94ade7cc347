import { randomBytes } from 'node:crypto';
import { AbortError } from '@mlops/core';
import { type RecordBatch, type Schema, Table } from 'apache-arrow';
import { InvalidFeatureRequestError, OfflineStoreError } from '../../errors';
import type { EntityFrame } from '../entity-df';
import type { HistoricalRetrievalJob, RetrievalOptions, RetrievalProgress } from '../historical';
import type { PgColumn } from '../pg-copy';
import { PG_OID } from '../pg-copy';
import type { HistoricalPlan } from '../plan';
import type { RunOptions, StreamOptions } from '../session';
import { TrinoArrowDecoder } from './arrow';
import type { TrinoClient } from './client';
import type { TrinoOfflineStoreConfig } from './config';
import { TrinoQueryError } from './errors';
import {
  entityInserts,
  pushdownSessionProperties,
  quoteIdent,
  quoteString,
  sourceCatalogs,
  type TrinoEntityRef,
  trinoPointInTimeQuery,
  trinoTypeOfOid,
} from './sql';

/** The column numbering the uploaded entity rows, so the result keeps their order. */
export const TRINO_ROW_COLUMN = '__mlops_row';

/** Connectors Feast refuses to upload entity rows to (they cannot CREATE TABLE), as its upload does. */
const NO_CREATE_TABLE = new Set([
  'druid',
  'elasticsearch',
  'googlesheets',
  'jmx',
  'kafka',
  'kinesis',
  'localfile',
  'pinot',
  'postgresql',
  'prometheus',
  'redis',
  'thrift',
  'tpcds',
  'tpch',
  'qdrant',
]);
const WITHOUT_WITH = new Set([
  'bigquery',
  'cassandra',
  'memory',
  'mongodb',
  'mysql',
  'oracle',
  'redshift',
  'memsql',
  'lakehouse',
]);

/** The WITH clause of the entity table for the catalog's connector, as Feast writes it; refuses what Feast refuses. */
export function entityTableWith(connector: Readonly<Record<string, string>>): string {
  const type = connector.type ?? '';
  if (NO_CREATE_TABLE.has(type)) {
    throw new InvalidFeatureRequestError(
      `offline_store.connector.type ${type} cannot create tables, so entity rows cannot be uploaded to offline_store.catalog: point catalog at a memory, hive or iceberg catalog (sources may stay in ${type}, named catalog.schema.table).`,
    );
  }
  if (WITHOUT_WITH.has(type)) return '';
  if (type === 'hive' || type === 'iceberg') {
    if (!connector.file_format) {
      throw new InvalidFeatureRequestError(
        `offline_store.connector.type ${type} needs connector.file_format (e.g. parquet) to create the entity table.`,
      );
    }
    return ` WITH (format = '${connector.file_format.replace(/'/g, "''")}')`;
  }
  throw new InvalidFeatureRequestError(
    `offline_store.connector.type ${JSON.stringify(type)} is not a Trino connector @mlops/feast (or Feast) uploads entity rows to; use memory, hive or iceberg.`,
  );
}

/**
 * Refuses entity columns the upload catalog's connector cannot store, before anything is created: Trino's Hive
 * connector has no `timestamp with time zone` ("Unsupported Hive type"), the type of tz-aware entity timestamps.
 */
export function checkUploadable(
  connector: Readonly<Record<string, string>>,
  columns: readonly { name: string; typeOid: number }[],
): void {
  if (connector.type !== 'hive') return;
  const zoned = columns.find((c) => c.typeOid === PG_OID.TIMESTAMPTZ);
  if (zoned) {
    throw new InvalidFeatureRequestError(
      `Entity column ${zoned.name} holds timestamps with a time zone, which Trino's Hive connector cannot store (offline_store.connector.type hive): upload to an iceberg catalog instead, or give the entity rows naive UTC timestamps.`,
    );
  }
}

export interface TrinoJobInit {
  client: TrinoClient;
  config: TrinoOfflineStoreConfig;
  plan: HistoricalPlan;
  frame: EntityFrame;
  frameColumns: PgColumn[];
  timestampColumn: string;
  /** INSERT statements run at once while uploading (default 2). */
  uploadConcurrency?: number;
  /** Characters per INSERT statement (default 900 000, under Trino's query.max-length). */
  uploadChars?: number;
}

/**
 * A historical retrieval on Trino, ready to run: nothing has been uploaded or queried yet. Each of toArrow,
 * stream, count and explain uploads the entity rows (in-memory frames) into a fresh table of
 * offline_store.catalog / dataset, runs, and drops the table — after success, failure or abort alike.
 */
export class TrinoHistoricalRetrievalJob implements HistoricalRetrievalJob {
  readonly #init: TrinoJobInit;
  readonly #table: string;
  readonly #query: string;

  /** @internal Made by FeatureStore.getHistoricalFeatures. */
  constructor(init: TrinoJobInit) {
    this.#init = init;
    const { config, frame } = init;
    this.#table = [config.catalog, config.dataset, `mlops_entity_df_${randomBytes(8).toString('hex')}`]
      .map(quoteIdent)
      .join('.');
    const entity: TrinoEntityRef = {
      from:
        frame.kind === 'sql'
          ? `(SELECT CAST(row_number() OVER () - 1 AS bigint) AS ${quoteIdent(TRINO_ROW_COLUMN)}, entity_query.* FROM (${frame.sql}) AS entity_query)`
          : this.#table,
      columns: init.frameColumns.map((c) => c.name),
      timestampColumn: init.timestampColumn,
      rowColumn: TRINO_ROW_COLUMN,
      range: frame.kind === 'rows' ? timestampRange(frame, init.timestampColumn) : undefined,
    };
    this.#query = trinoPointInTimeQuery(init.plan, entity);
  }

  get columns(): string[] {
    return [...this.#init.frameColumns.map((c) => c.name), ...this.#init.plan.featureColumns];
  }

  get timestampColumn(): string {
    return this.#init.timestampColumn;
  }

  /** The SQL this job runs: the entity table it creates and fills (in-memory frames), then the query. */
  toSQL(): string {
    const { frame } = this.#init;
    if (frame.kind === 'sql') return `${this.#query};`;
    return [
      `${this.#createTable()};`,
      `-- ${frame.rowCount} entity rows: INSERT INTO ${this.#table} ... SELECT ... FROM UNNEST(CAST(json_parse('[...]') AS array(...)), ...), in batches`,
      `${this.#query};`,
      `DROP TABLE IF EXISTS ${this.#table};`,
    ].join('\n');
  }

  #createTable(): string {
    const { frameColumns, config } = this.#init;
    const definitions = [
      `${quoteIdent(TRINO_ROW_COLUMN)} bigint`,
      ...frameColumns.map((c) => `${quoteIdent(c.name)} ${trinoTypeOfOid(c.typeOid, c.name)}`),
    ];
    return `CREATE TABLE ${this.#table} (${definitions.join(', ')})${entityTableWith(config.connector)}`;
  }

  async toArrow(options: RunOptions & RetrievalOptions = {}): Promise<Table> {
    const batches: RecordBatch[] = [];
    let schema: Schema | undefined;
    for await (const batch of this.#stream(options, (s) => {
      schema = s;
    }))
      batches.push(batch);
    return batches.length > 0 ? new Table(batches) : new Table(schema!);
  }

  stream(options: StreamOptions & RetrievalOptions = {}): AsyncGenerator<RecordBatch> {
    return this.#stream(options);
  }

  async count(options: RunOptions = {}): Promise<number> {
    const { frame } = this.#init;
    if (frame.kind === 'rows') return frame.rowCount;
    const result = await this.#init.client.run(`SELECT count(*) FROM (${frame.sql})`, {
      step: 'counting the entity rows',
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return Number(result.rows[0]![0]);
  }

  /**
   * Trino's plan for the point-in-time query (EXPLAIN, distributed: fragments, exchanges and the
   * partitioning of each stage), with the entity rows uploaded; `analyze: true` runs it (EXPLAIN ANALYZE).
   */
  async explain(options: RunOptions & { analyze?: boolean } = {}): Promise<string> {
    return this.#withEntities(options, async () => {
      const how = options.analyze ? 'EXPLAIN ANALYZE' : 'EXPLAIN (TYPE DISTRIBUTED)';
      const result = await this.#init.client.run(`${how} ${this.#query}`, {
        step: 'explaining the point-in-time query',
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        sessionProperties: await this.#pushdownSession(options),
      });
      return result.rows.map((r) => String(r[0])).join('\n');
    });
  }

  async *#stream(
    options: StreamOptions & RetrievalOptions,
    onSchema?: (schema: Schema) => void,
  ): AsyncGenerator<RecordBatch> {
    const { frame, client } = this.#init;
    const uploaded = frame.kind === 'rows';
    if (uploaded) await this.#upload(options);
    try {
      let expected = 0n;
      let decoder: TrinoArrowDecoder | undefined;
      const keep: number[] = [];
      const sessionProperties = await this.#pushdownSession(options);
      for await (const page of client.pages(this.#query, {
        step: 'reading the point-in-time result',
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        sessionProperties,
      })) {
        if (!decoder) {
          decoder = new TrinoArrowDecoder(page.columns, { batchRows: options.batchRows ?? 65_536 });
          for (let i = 1; i < page.columns.length; i++) keep.push(i);
          onSchema?.(decoder.schema.select(decoder.schema.fields.slice(1).map((f) => f.name)));
        }
        // The leading row number must count up from 0: anything else is an error, never a wrong answer.
        for (const row of page.rows) {
          const n = row[0];
          if (BigInt(n as number) !== expected) throw this.#disorder(expected, BigInt(n as number));
          expected++;
        }
        for (const batch of decoder.push(page.rows)) {
          // A page holds many batches: an abort stops them here, not only at the next page.
          if (options.signal?.aborted) {
            throw new AbortError(
              'Reading the point-in-time result was aborted; the query was cancelled on Trino.',
              {
                reason: options.signal.reason,
              },
            );
          }
          this.#progress(options, 'rows', Number(expected));
          yield batch.selectAt(keep);
        }
      }
      if (decoder) for (const batch of decoder.end()) yield batch.selectAt(keep);
      if (frame.kind === 'rows' && expected !== BigInt(frame.rowCount))
        throw this.#disorder(expected, undefined);
      this.#progress(options, 'done', Number(expected));
    } finally {
      if (uploaded) await this.#drop();
    }
  }

  /**
   * Session properties that let the entity keys' dynamic filters reach the sources' databases (see
   * pushdownSessionProperties): for the source catalogs whose connector is postgresql. They only make the
   * query faster, never change its answer, so a lookup Trino refuses leaves them out; an abort still aborts.
   */
  async #pushdownSession(options: RunOptions): Promise<Record<string, string>> {
    const catalogs = sourceCatalogs(this.#init.plan.views).filter((c) => /^[a-z_][a-z0-9_]*$/.test(c));
    if (catalogs.length === 0) return {};
    try {
      const result = await this.#init.client.run(
        `SELECT catalog_name FROM system.metadata.catalogs WHERE connector_name = 'postgresql' AND catalog_name IN (${catalogs.map(quoteString).join(', ')})`,
        { step: "looking up the sources' connectors", signal: options.signal, timeoutMs: options.timeoutMs },
      );
      return pushdownSessionProperties(
        result.rows.map((r) => String(r[0])),
        Math.max(1, ...this.#init.plan.views.map((v) => v.keys.length)),
      );
    } catch (error) {
      if (options.signal?.aborted || !TrinoQueryError.isInstance(error)) throw error;
      return {};
    }
  }

  #progress(options: RetrievalOptions, phase: RetrievalProgress['phase'], rows: number): void {
    const { frame } = this.#init;
    options.onProgress?.({ phase, rows, totalRows: frame.kind === 'rows' ? frame.rowCount : undefined });
  }

  #disorder(expected: bigint, got: bigint | undefined): OfflineStoreError {
    return new OfflineStoreError(
      { step: 'reading the point-in-time result' },
      got === undefined
        ? `The point-in-time result ended after ${expected} rows, short of the entity rows. Nothing was returned; please report this with job.explain().`
        : `The point-in-time result came back out of order (entity row ${got} where ${expected} was due). Nothing was returned as complete; please report this with job.explain().`,
    );
  }

  async #withEntities<T>(options: RunOptions & RetrievalOptions, work: () => Promise<T>): Promise<T> {
    const uploaded = this.#init.frame.kind === 'rows';
    if (uploaded) await this.#upload(options);
    try {
      return await work();
    } finally {
      if (uploaded) await this.#drop();
    }
  }

  /** Creates the entity table and fills it; on any failure drops it before throwing. */
  async #upload(options: RunOptions & RetrievalOptions): Promise<void> {
    const { client, config, frame, timestampColumn } = this.#init;
    if (frame.kind !== 'rows') return;
    if (options.signal?.aborted)
      throw new AbortError('The offline store work was aborted.', { reason: options.signal.reason });
    checkUploadable(config.connector, this.#init.frameColumns);
    const ts = frame.columns.find((c) => c.name === timestampColumn);
    if (ts) {
      for (let i = 0; i < frame.rowCount; i++) {
        if (ts.values[i] === null || ts.values[i] === undefined) {
          throw new InvalidFeatureRequestError(
            `Entity row ${i} has no ${timestampColumn}: every entity row needs the point in time to read its features at.`,
          );
        }
      }
    }
    const run = (sql: string, step: string) =>
      client.run(sql, { step, signal: options.signal, timeoutMs: options.timeoutMs });
    const create = this.#createTable();
    try {
      try {
        await run(create, 'creating the entity table');
      } catch (error) {
        // A memory catalog loses its schemas with a restart, and a fresh iceberg or hive catalog has none yet:
        // create the schema then, and only then (Trino checks the right to create a schema even when it exists).
        if (!isSchemaMissing(error)) throw error;
        await run(
          `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(config.catalog)}.${quoteIdent(config.dataset)}`,
          'creating the schema for entity rows',
        );
        await run(create, 'creating the entity table');
      }
      const inserts = entityInserts(
        this.#table,
        TRINO_ROW_COLUMN,
        frame.columns,
        frame.rowCount,
        this.#init.uploadChars,
      );
      let next = 0;
      const worker = async () => {
        while (next < inserts.length) {
          const sql = inserts[next++]!;
          await run(sql, 'uploading the entity rows');
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(this.#init.uploadConcurrency ?? 2, inserts.length) }, worker),
      );
    } catch (error) {
      await this.#drop();
      throw error;
    }
    this.#progress(options, 'uploaded', 0);
  }

  /** Drops the entity table, whatever happened before (its own signal: an abort must not keep it). */
  async #drop(): Promise<void> {
    try {
      await this.#init.client.run(`DROP TABLE IF EXISTS ${this.#table}`, {
        step: 'dropping the entity table',
        timeoutMs: 30_000,
      });
    } catch {
      // The server is gone or refuses: nothing more to do here (a memory table goes with a restart).
    }
  }
}

/** CREATE TABLE's answer when the schema is missing: SCHEMA_NOT_FOUND (memory) or NOT_FOUND (iceberg, hive). */
function isSchemaMissing(error: unknown): boolean {
  if (!TrinoQueryError.isInstance(error)) return false;
  if (error.errorName === 'SCHEMA_NOT_FOUND') return true;
  return error.errorName === 'NOT_FOUND' && /\bschema \S+ (?:not found|does not exist)/i.test(error.message);
}

function timestampRange(
  frame: Extract<EntityFrame, { kind: 'rows' }>,
  column: string,
): { min: bigint; max: bigint } | undefined {
  const c = frame.columns.find((x) => x.name === column);
  if (!c || (c.typeOid !== PG_OID.TIMESTAMPTZ && c.typeOid !== PG_OID.TIMESTAMP)) return undefined;
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (let i = 0; i < frame.rowCount; i++) {
    const v = c.values[i];
    if (typeof v !== 'bigint') continue;
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  return min === undefined || max === undefined ? undefined : { min, max };
}
