import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeData, RecordBatch, Schema, Struct, Table, type TypeMap } from 'apache-arrow';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PostgresOfflineStoreConfig } from '../config/repo-config';
import { InvalidFeatureRequestError, OfflineStoreError } from '../errors';
import { type RowSources, takeRows } from './arrow-take';
import { type EntityFrame, resolveTimestampColumn } from './entity-df';
import { encodeCopyBinary, PG_OID, type PgColumn, pgTypeName } from './pg-copy';
import {
  DISORDER_ROW,
  type EntityFrameRef,
  type HistoricalPlan,
  type PointInTimeQuery,
  pointInTimeQuery,
} from './plan';
import {
  checkPlan,
  decidePlan,
  describeDecision,
  estimateSources,
  needsEstimates,
  type PlanDecision,
  type PointInTimePlan,
  reorders,
} from './plan-choice';
import { ENTITY_SQL_ADVICE, offlineError } from './postgres';
import {
  applySettings,
  type OfflineSession,
  openSession,
  type RunOptions,
  runInSession,
  type StreamOptions,
  streamQuery,
} from './session';

export type { PointInTimePlan } from './plan-choice';
export type { RunOptions, StreamOptions } from './session';

/** The column numbering the uploaded entity rows, so the result keeps their order. */
export const ROW_COLUMN = '__mlops_row';

interface JobInit {
  pool: pg.Pool;
  config: PostgresOfflineStoreConfig;
  plan: HistoricalPlan;
  frame: EntityFrame;
  /** The frame's columns (for a SQL frame, as described by the database). */
  frameColumns: PgColumn[];
  timestampColumn: string;
}

/**
 * A historical retrieval, ready to run: nothing has been uploaded or queried yet. Each of toArrow, stream,
 * count and explain runs it in one transaction on one connection: the entity rows go into a temporary
 * table (COPY ... FROM STDIN, binary), the point-in-time query's result comes back with COPY ... TO
 * STDOUT (binary) and is decoded straight into Arrow. The temporary table is dropped at the end of the
 * transaction, or with the connection when anything fails.
 */
/**
 * A job whose result has the columns `T` (an Arrow TypeMap: column name → DataType). Asked with literal feature
 * references and an entity frame of columns or row objects, `T` names every column, so `table.getChild('x')`
 * of a column that is not there is a type error; otherwise any name.
 */
// biome-ignore lint/suspicious/noExplicitAny: Arrow's own default TypeMap (Table<any>) for an open set of columns.
export interface HistoricalRetrievalJob<T extends TypeMap = any> {
  /** The output's columns: the entity columns as given, then the features in the order asked. */
  readonly columns: string[];
  /** The entity rows' column with each row's point in time. */
  readonly timestampColumn: string;
  /**
   * The SQL this job runs, for reading: the settings it reads, the temporary table of entity rows, and the
   * point-in-time query (whose result is transferred with COPY ... TO STDOUT in binary). `plan` 'lookup'
   * (the default: 'auto' is decided when the job runs, from statistics — see explain()), 'lookup-keys' or
   * 'arrays' (every view it fits); `lookupOrder: 'keys'` is 'lookup-keys'.
   */
  toSQL(options?: { lookupOrder?: LookupOrder; plan?: PointInTimePlan }): string;
  /**
   * The whole result as one Arrow table, in entity-row order. On any failure it throws; it never returns
   * part of a result. `plan` (default 'auto') picks the join, see PointInTimePlan; `lookupOrder` is the older
   * spelling ('keys' is plan 'lookup-keys', 'entity' is 'lookup'). `workMem` is PostgreSQL's work_mem for
   * the query's sorts (default '64MB' for key-order lookups, '256MB' for arrays).
   */
  toArrow(
    options?: RunOptions &
      RetrievalOptions & { plan?: PointInTimePlan; lookupOrder?: LookupOrder; workMem?: string },
  ): Promise<Table<T>>;
  /**
   * The result as record batches of at most `batchRows` rows, in entity-row order, read from PostgreSQL as
   * they are consumed: memory stays bounded by a batch, whatever the result's size. Stopping early (break)
   * cancels the query. `plan` 'auto' (default) and 'lookup' stream entity-order lookups; 'lookup-keys' and
   * 'arrays' have PostgreSQL sort the result by entity row, so nothing comes until the whole join is done.
   */
  stream(
    options?: StreamOptions & RetrievalOptions & { plan?: PointInTimePlan },
  ): AsyncGenerator<RecordBatch<T>>;
  /** The number of rows the result has: one per entity row, always, under every plan. */
  count(options?: RunOptions & { plan?: PointInTimePlan }): Promise<number>;
  /**
   * The plan toArrow would run (`plan`, default 'auto'; `lookupOrder` as in toArrow; `stream: true` for
   * stream()'s): which join each view gets and why, then PostgreSQL's plan of the query, with the entity rows
   * uploaded (so the planner knows them). `analyze: true` runs it and reports real times and rows.
   */
  explain(
    options?: RunOptions & {
      analyze?: boolean;
      lookupOrder?: LookupOrder;
      plan?: PointInTimePlan;
      stream?: boolean;
    },
  ): Promise<string>;
}

/** How far a retrieval is: after the upload, after each batch of result rows, and at the end. */
export interface RetrievalProgress {
  phase: 'uploaded' | 'rows' | 'done';
  /** Result rows received so far. */
  rows: number;
  /** The number of entity rows, when known before the query (in-memory frames). */
  totalRows: number | undefined;
}

/** What toArrow and stream take besides the run options. */
export interface RetrievalOptions {
  /** Called after the entity rows are uploaded, after each batch of result rows, and at the end. */
  onProgress?: (progress: RetrievalProgress) => void;
}

/**
 * The order the lookups run in (the older spelling of the lookup plans, see PointInTimePlan). 'entity': the
 * entity rows' own order ('lookup'); 'keys': sorted by the first view's join keys and time ('lookup-keys').
 */
export type LookupOrder = 'entity' | 'keys';

const ARRAY_FAILURE_STEP = "checking the array plan's order";
/** SQLSTATEs after which the array plan is retried with lookups: an array over 1 GB, out of memory. */
const ARRAY_LIMITS = new Set(['54000', '53200']);

/** The job over the PostgreSQL offline store (internal: its constructor takes the connection pool). */
export class PostgresHistoricalRetrievalJob implements HistoricalRetrievalJob {
  readonly #init: JobInit;
  readonly #table: string;
  readonly #entity: EntityFrameRef;

  /** @internal Made by FeatureStore.getHistoricalFeatures. */
  constructor(init: JobInit) {
    this.#init = init;
    this.#table = pg.escapeIdentifier(`mlops_entity_df_${randomBytes(8).toString('hex')}`);
    const ts = init.frameColumns.find((c) => c.name === init.timestampColumn);
    this.#entity = {
      table: this.#table,
      columns: init.frameColumns.map((c) => c.name),
      timestampColumn: init.timestampColumn,
      rowColumn: ROW_COLUMN,
      ...(ts ? { timestampType: pgTypeName(ts.typeOid) } : {}),
    };
  }

  /** The output's columns: the entity columns as given, then the features in the order asked. */
  get columns(): string[] {
    return [...this.#init.frameColumns.map((c) => c.name), ...this.#init.plan.featureColumns];
  }

  /** The entity rows' column with each row's point in time. */
  get timestampColumn(): string {
    return this.#init.timestampColumn;
  }

  /** The plan asked for: `plan`, else `lookupOrder`'s, else `fallback`. */
  #asked(options: { plan?: PointInTimePlan; lookupOrder?: LookupOrder }, fallback: PointInTimePlan) {
    if (options.plan !== undefined) return checkPlan(options.plan);
    if (options.lookupOrder === 'keys') return 'lookup-keys';
    if (options.lookupOrder === 'entity') return 'lookup';
    if (options.lookupOrder !== undefined) {
      throw new InvalidFeatureRequestError(
        `lookupOrder must be 'entity' or 'keys', not ${JSON.stringify(options.lookupOrder)}.`,
      );
    }
    return fallback;
  }

  /** The decision for a forced plan, or for 'auto' from statistics read on `client` (after the upload). */
  async #decide(
    client: pg.ClientBase | undefined,
    asked: PointInTimePlan,
    streaming: boolean,
  ): Promise<PlanDecision> {
    const { frame, plan } = this.#init;
    let entityRows = frame.kind === 'rows' ? frame.rowCount : undefined;
    if (entityRows === undefined && client && asked === 'auto' && !streaming) {
      const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.#table}`);
      entityRows = Number(counted.rows[0]!.n);
    }
    const estimates =
      client !== undefined && needsEstimates(asked, entityRows, streaming)
        ? await estimateSources(client, plan)
        : [];
    return decidePlan(plan, asked, {
      entityRows,
      timestampType: this.#entity.timestampType,
      estimates,
      streaming,
    });
  }

  #query(decision: PlanDecision, orderByRow: boolean): PointInTimeQuery {
    return pointInTimeQuery(this.#init.plan, this.#entity, {
      lookupsInKeyOrder: decision.lookupOrder === 'keys',
      arrays: decision.views.map((v) => v.join === 'arrays'),
      orderByRow,
    });
  }

  /** The query's settings and the plan's (work_mem for its sorts: `workMem` when given). */
  #settings(decision: PlanDecision, query: PointInTimeQuery, workMem: string | undefined) {
    const settings: Record<string, string> = { ...query.settings };
    if (decision.lookupOrder === 'keys' && settings.work_mem === undefined) settings.work_mem = '64MB';
    if (workMem !== undefined) {
      if (!/^\d+\s*(kB|MB|GB)$/.test(workMem)) {
        throw new InvalidFeatureRequestError(
          `workMem must be a PostgreSQL memory size such as '64MB', not ${JSON.stringify(workMem)}.`,
        );
      }
      settings.work_mem = workMem;
    }
    return settings;
  }

  /**
   * The SQL this job runs, for reading: the settings it reads, the temporary table of entity rows, and the
   * point-in-time query (whose result is transferred with COPY ... TO STDOUT in binary).
   */
  toSQL(options: { lookupOrder?: LookupOrder; plan?: PointInTimePlan } = {}): string {
    const asked = this.#asked(options, 'lookup');
    const decision = decidePlan(this.#init.plan, asked === 'auto' ? 'lookup' : asked, {
      entityRows: undefined,
      timestampType: this.#entity.timestampType,
      estimates: [],
    });
    const query = this.#query(decision, false);
    const settings = Object.entries(this.#settings(decision, query, undefined)).map(
      ([name, value]) => `SELECT set_config('${name}', '${value}', true);`,
    );
    return [
      `-- entity rows: temporary table ${this.#table}, filled with COPY ... FROM STDIN (FORMAT binary)`,
      ...settings,
      `${query.text};`,
    ].join('\n');
  }

  /**
   * The result's record batches, led by the row number, under the plan decided in the session (after the
   * upload); its settings are set for the transaction only, just before the query. `state.decision` says
   * what ran.
   */
  #raw(
    asked: PointInTimePlan,
    options: StreamOptions & RetrievalOptions & { workMem?: string },
    streaming: boolean,
    state: { decision?: PlanDecision; schema?: Schema },
  ): AsyncGenerator<RecordBatch> {
    return streamQuery(
      () => this.#open(options),
      async (client) => {
        const decision = await this.#decide(client, asked, streaming);
        state.decision = decision;
        const query = this.#query(decision, streaming && reorders(decision));
        await applySettings(client, this.#settings(decision, query, options.workMem));
        return query.text;
      },
      {
        ...options,
        step: 'reading the point-in-time result',
        onSchema: (schema) => {
          state.schema = schema;
        },
      },
    );
  }

  /**
   * The whole result as one Arrow table. On any failure it throws; it never returns part of a result. When
   * 'auto' (or 'arrays') chose arrays and PostgreSQL refused them (an array over 1 GB, out of memory) or
   * their order check failed, it runs again with lookups.
   */
  async toArrow(
    options: RunOptions &
      RetrievalOptions & { plan?: PointInTimePlan; lookupOrder?: LookupOrder; workMem?: string } = {},
  ): Promise<Table> {
    const asked = this.#asked(options, 'auto');
    const state: { decision?: PlanDecision; schema?: Schema } = {};
    try {
      return await this.#collect(asked, options, state);
    } catch (error) {
      const arraysFailed =
        state.decision?.views.some((v) => v.join === 'arrays') === true &&
        OfflineStoreError.isInstance(error) &&
        (error.step === ARRAY_FAILURE_STEP || ARRAY_LIMITS.has(error.sqlState ?? ''));
      if (!arraysFailed) throw error;
      return this.#collect('lookup-keys', options, {});
    }
  }

  async #collect(
    asked: PointInTimePlan,
    options: RunOptions & RetrievalOptions & { workMem?: string },
    state: { decision?: PlanDecision; schema?: Schema },
  ): Promise<Table> {
    const batches: RecordBatch[] = [];
    let rows = 0;
    for await (const batch of this.#raw(asked, options, false, state)) {
      batches.push(batch);
      rows += batch.numRows;
      this.#progress(options, 'rows', rows);
    }
    const table = reorders(state.decision!)
      ? this.#inEntityOrder(state.schema!, batches)
      : this.#inOrder(state.schema!, batches);
    this.#progress(options, 'done', rows);
    return table;
  }

  /** The batches of an entity-ordered result without their row number, checked: every row once, in order. */
  #inOrder(schema: Schema, batches: readonly RecordBatch[]): Table {
    const check = this.#orderCheck();
    for (const batch of batches) check.batch(batch);
    check.end();
    const fields = schema.fields.slice(1);
    if (batches.length === 0) return new Table(new Schema(fields, schema.metadata));
    const keep = fields.map((_, i) => i + 1);
    return new Table(batches.map((b) => b.selectAt(keep)));
  }

  /** Checks that a result's row numbers come 0 (1 for SQL frames), 1, 2, …, and that none is missing. */
  #orderCheck(): { batch(batch: RecordBatch): void; end(): number } {
    const { frame } = this.#init;
    let expected = frame.kind === 'rows' ? 0n : 1n;
    const first = expected;
    return {
      batch: (batch) => {
        for (const data of batch.getChildAt(0)!.data) {
          const rows = data.values as BigInt64Array;
          for (let i = 0; i < data.length; i++) {
            if (rows[i] !== expected) throw this.#disorder(expected, rows[i]!);
            expected++;
          }
        }
      },
      end: () => {
        if (frame.kind === 'rows' && expected - first !== BigInt(frame.rowCount)) {
          throw this.#disorder(expected, undefined);
        }
        return Number(expected - first);
      },
    };
  }

  /**
   * The rows of a key-ordered result back in entity order, checked on the way: every entity row exactly once.
   */
  #inEntityOrder(schema: Schema, batches: readonly RecordBatch[]): Table {
    const { frame } = this.#init;
    const first = frame.kind === 'rows' ? 0 : 1;
    const n = batches.reduce((sum, b) => sum + b.numRows, 0);
    if (frame.kind === 'rows' && n !== frame.rowCount) throw this.#disorder(BigInt(n), undefined);
    const sources: RowSources = { chunk: new Int32Array(n).fill(-1), index: new Int32Array(n) };
    for (const [c, batch] of batches.entries()) {
      const rows = batch.data.children[0]!.values as BigInt64Array;
      for (let i = 0; i < batch.numRows; i++) {
        const at = Number(rows[i]) - first;
        if (!(at >= 0 && at < n) || sources.chunk[at] !== -1)
          throw this.#disorder(BigInt(at + first), rows[i]!);
        sources.chunk[at] = c;
        sources.index[at] = i;
      }
    }
    const fields = schema.fields.slice(1);
    const out = new Schema(fields, schema.metadata);
    if (n === 0) return new Table(out);
    const children = fields.map((field, j) =>
      takeRows(
        field.type,
        batches.map((b) => b.data.children[j + 1]!),
        sources,
      ),
    );
    return new Table([new RecordBatch(out, makeData({ type: new Struct(fields), length: n, children }))]);
  }

  /**
   * The result as record batches of at most `batchRows` rows, in entity-row order, read from PostgreSQL as
   * they are consumed: memory stays bounded by a batch, whatever the result's size. Stopping early (break)
   * cancels the query.
   */
  stream(
    options: StreamOptions & RetrievalOptions & { plan?: PointInTimePlan } = {},
  ): AsyncGenerator<RecordBatch> {
    return this.#stream(this.#asked(options, 'auto'), options);
  }

  /**
   * The query's batches without their leading row number, which is checked on the way: the n-th row must be
   * entity row n, and (for in-memory frames) every entity row must come back. Anything else throws.
   */
  async *#stream(
    asked: PointInTimePlan,
    options: StreamOptions & RetrievalOptions,
  ): AsyncGenerator<RecordBatch> {
    const state: { decision?: PlanDecision; schema?: Schema } = {};
    const check = this.#orderCheck();
    let rows = 0;
    let keep: number[] | undefined;
    for await (const batch of this.#raw(asked, options, true, state)) {
      check.batch(batch);
      rows += batch.numRows;
      this.#progress(options, 'rows', rows);
      keep ??= batch.schema.fields.map((_, i) => i).slice(1);
      yield batch.selectAt(keep);
    }
    this.#progress(options, 'done', check.end());
  }

  #progress(options: RetrievalOptions, phase: RetrievalProgress['phase'], rows: number): void {
    const { frame } = this.#init;
    options.onProgress?.({ phase, rows, totalRows: frame.kind === 'rows' ? frame.rowCount : undefined });
  }

  #disorder(expected: bigint, got: bigint | undefined): OfflineStoreError {
    if (got === DISORDER_ROW) {
      return new OfflineStoreError(
        { step: ARRAY_FAILURE_STEP },
        "The array plan's order check failed: PostgreSQL aggregated a key's versions out of the order they were sorted in, so their winners could be wrong. Nothing was returned; run with plan: 'lookup-keys' (toArrow with plan 'auto' does so by itself), and please report this with job.explain({ plan: 'arrays' }).",
      );
    }
    return new OfflineStoreError(
      { step: 'reading the point-in-time result' },
      got === undefined
        ? `The point-in-time result ended after ${expected} rows, short of the ${this.#init.frame.kind === 'rows' ? this.#init.frame.rowCount : ''} entity rows. Nothing was returned; please report this with job.explain().`
        : `The point-in-time result came back out of order (entity row ${got} where ${expected} was due). Nothing was returned as complete; please report this with job.explain().`,
    );
  }

  /** The number of rows the result has: one per entity row, always (whatever the plan: it is not run). */
  async count(options: RunOptions & { plan?: PointInTimePlan } = {}): Promise<number> {
    checkPlan(options.plan);
    const { frame } = this.#init;
    if (frame.kind === 'rows') return frame.rowCount;
    return runInSession(
      () => this.#open(options),
      'counting the entity rows',
      async (client) => {
        const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.#table}`);
        return Number(result.rows[0]!.n);
      },
    );
  }

  /**
   * Which join each view gets and why, then PostgreSQL's plan for the point-in-time query, with the entity
   * rows uploaded (so the planner knows them). `analyze: true` runs the query and reports real times.
   */
  async explain(
    options: RunOptions & {
      analyze?: boolean;
      lookupOrder?: LookupOrder;
      plan?: PointInTimePlan;
      stream?: boolean;
    } = {},
  ): Promise<string> {
    const asked = this.#asked(options, 'auto');
    const streaming = options.stream ?? false;
    return runInSession(
      () => this.#open(options),
      'explaining the point-in-time query',
      async (client) => {
        const decision = await this.#decide(client, asked, streaming);
        const query = this.#query(decision, streaming && reorders(decision));
        await applySettings(client, this.#settings(decision, query, undefined));
        const how = options.analyze ? 'ANALYZE, BUFFERS, ' : '';
        const result = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (${how}VERBOSE, FORMAT TEXT) ${query.text}`,
        );
        return [describeDecision(decision), ...result.rows.map((r) => r['QUERY PLAN'])].join('\n');
      },
    );
  }

  #open(options: RunOptions & RetrievalOptions): Promise<OfflineSession> {
    return openSession(this.#init.pool, this.#init.config, options, {}, async (client) => {
      await this.#upload(client);
      this.#progress(options, 'uploaded', 0);
    });
  }

  async #upload(client: pg.PoolClient): Promise<void> {
    const { frame, frameColumns, timestampColumn } = this.#init;
    const q = pg.escapeIdentifier;
    if (frame.kind === 'sql') {
      await client.query(
        `CREATE TEMPORARY TABLE ${this.#table} ON COMMIT DROP AS SELECT row_number() OVER () AS ${q(ROW_COLUMN)}, entity_query.* FROM (${frame.sql}) AS entity_query`,
      );
    } else {
      const definitions = [
        `${q(ROW_COLUMN)} bigint`,
        ...frameColumns.map((c) => `${q(c.name)} ${pgTypeName(c.typeOid)}`),
      ];
      await client.query(`CREATE TEMPORARY TABLE ${this.#table} (${definitions.join(', ')}) ON COMMIT DROP`);
      const rows = new Float64Array(frame.rowCount);
      for (let i = 0; i < rows.length; i++) rows[i] = i;
      const chunks = encodeCopyBinary(
        [{ name: ROW_COLUMN, typeOid: PG_OID.INT8, values: rows }, ...frame.columns],
        frame.rowCount,
      );
      await pipeline(
        Readable.from(chunks),
        client.query(copyFrom(`COPY ${this.#table} FROM STDIN (FORMAT binary)`)),
      );
    }
    const nulls = await client.query<{ row: string }>(
      `SELECT ${q(ROW_COLUMN)} AS row FROM ${this.#table} WHERE ${q(timestampColumn)} IS NULL ORDER BY 1 LIMIT 1`,
    );
    if (nulls.rows.length > 0) {
      throw new InvalidFeatureRequestError(
        `Entity row ${Number(nulls.rows[0]!.row) - (frame.kind === 'sql' ? 1 : 0)} has no ${timestampColumn}: every entity row needs the point in time to read its features at.`,
      );
    }
    // Statistics, so the planner sizes the join by the real number of entity rows.
    await client.query(`ANALYZE ${this.#table}`);
  }
}

/** Describes a SQL entity frame's columns without running it to completion. */
export async function describeEntitySql(
  pool: pg.Pool,
  config: PostgresOfflineStoreConfig,
  sql: string,
): Promise<PgColumn[]> {
  try {
    const result = await pool.query({
      text: `SELECT * FROM (${sql}) AS entity_query LIMIT 0`,
      rowMode: 'array',
    });
    return result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
  } catch (error) {
    throw offlineError(error, { step: 'describing the entity SQL query', config, advice: ENTITY_SQL_ADVICE });
  }
}

/** Checks the frame against the plan: every join key present, one timestamp column. */
export function checkFrame(
  plan: HistoricalPlan,
  columns: readonly PgColumn[],
  askedTimestamp: string | undefined,
): string {
  const names = new Set(columns.map((c) => c.name));
  const reserved = [...names].find((name) => name === ROW_COLUMN || name.startsWith('__mlops_'));
  if (reserved !== undefined) {
    throw new InvalidFeatureRequestError(
      `The entity rows may not have a column called ${reserved} (names starting with __mlops_ are the query's own); rename it.`,
    );
  }
  for (const view of plan.views) {
    for (const key of view.keys) {
      if (!names.has(key.entityColumn)) {
        throw new InvalidFeatureRequestError(
          `Feature view ${view.view.name} is looked up by ${key.entityColumn}, which the entity rows do not have (they have ${[...names].join(', ') || 'no columns'}).`,
        );
      }
    }
  }
  for (const name of plan.featureColumns) {
    if (names.has(name)) {
      throw new InvalidFeatureRequestError(
        `The entity rows have a column ${name}, which a requested feature is also called; rename the column, or pass fullFeatureNames: true.`,
      );
    }
  }
  return resolveTimestampColumn(columns, askedTimestamp);
}
