/**
 * The SQL of the Trino offline store: names quoted as Trino reads them, entity rows as batched INSERTs of
 * JSON arrays, the point-in-time join written so that Trino distributes it, and the latest rows for
 * materialization.
 */
import { microsToIso } from '../../codec/instant';
import { InvalidFeatureRequestError } from '../../errors';
import type { DataSource } from '../../registry/model';
import type { FrameColumn } from '../entity-df';
import { PG_OID } from '../pg-copy';
import type { HistoricalPlan } from '../plan';

/** A Trino identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A Trino string literal. */
export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/;

/**
 * The FROM of a TrinoSource. Feast pastes its `table` into the SQL as it is, so `postgresql.public.stats`
 * means catalog.schema.table as Trino reads it unquoted (folded to lower case); we quote each part of such
 * a plain name the same way. Any other table name is one identifier, quoted whole. A `query` is SQL.
 */
export function trinoSourceFrom(source: DataSource, viewName: string): string {
  if (source.query !== undefined) return `(${source.query})`;
  if (source.table !== undefined) {
    if (PLAIN_NAME.test(source.table)) {
      return source.table
        .split('.')
        .map((part) => quoteIdent(part.toLowerCase()))
        .join('.');
    }
    return quoteIdent(source.table);
  }
  throw new InvalidFeatureRequestError(
    `Feature view ${viewName} reads ${source.name || 'a data source'} (${source.type}), which is not a Trino table or query: the Trino offline store reads TrinoSource (table or query) sources.`,
  );
}

/** The Trino type a column of the entity frame is uploaded as. */
export function trinoTypeOfOid(oid: number, column: string): string {
  switch (oid) {
    case PG_OID.INT8:
      return 'bigint';
    case PG_OID.INT4:
      return 'integer';
    case PG_OID.TEXT:
      return 'varchar';
    case PG_OID.BOOL:
      return 'boolean';
    case PG_OID.FLOAT4:
      return 'real';
    case PG_OID.FLOAT8:
      return 'double';
    case PG_OID.BYTEA:
      return 'varbinary';
    case PG_OID.DATE:
      return 'date';
    case PG_OID.TIMESTAMPTZ:
      return 'timestamp(6) with time zone';
    case PG_OID.TIMESTAMP:
      return 'timestamp(6)';
    default:
      throw new InvalidFeatureRequestError(
        `Entity column ${column} has a type the Trino offline store cannot upload.`,
      );
  }
}

/** µs since the epoch as a Trino timestamp literal with time zone. */
export function timestampLiteral(micros: bigint): string {
  const iso = microsToIso(micros); // 2026-02-01T12:00:00.000000Z
  return `TIMESTAMP '${iso.slice(0, 10)} ${iso.slice(11, -1)} UTC'`;
}

/** JSON text of one value of an entity column, as its upload type reads it; undefined for null. */
function jsonValue(value: unknown, oid: number, column: string, row: number): string {
  if (value === null || value === undefined) return 'null';
  switch (oid) {
    case PG_OID.INT8:
    case PG_OID.INT4:
    case PG_OID.TIMESTAMPTZ:
    case PG_OID.TIMESTAMP:
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)))
        return String(value);
      break;
    case PG_OID.FLOAT4:
    case PG_OID.FLOAT8:
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) return JSON.stringify(String(value));
        return String(value);
      }
      break;
    case PG_OID.BOOL:
      if (typeof value === 'boolean') return value ? 'true' : 'false';
      break;
    case PG_OID.TEXT:
      return JSON.stringify(String(value));
    case PG_OID.BYTEA:
      if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
      break;
    case PG_OID.DATE:
      if (value instanceof Date) return JSON.stringify(value.toISOString().slice(0, 10));
      break;
  }
  throw new InvalidFeatureRequestError(
    `Entity column ${column}, row ${row}: ${String(value)} cannot be uploaded as ${trinoTypeOfOid(oid, column)}.`,
  );
}

/** How the JSON array of a column is read back into its type, in the INSERT's SELECT. */
function jsonArrayType(oid: number): string {
  switch (oid) {
    case PG_OID.TIMESTAMPTZ:
    case PG_OID.TIMESTAMP:
    case PG_OID.INT8:
      return 'bigint';
    case PG_OID.FLOAT4:
    case PG_OID.FLOAT8:
      // varchar first: NaN and ±Infinity travel as text, which CAST(... AS double) reads.
      return 'varchar';
    case PG_OID.BYTEA:
    case PG_OID.DATE:
      return 'varchar';
    default:
      return trinoTypeOfOid(oid, '');
  }
}

function fromJsonColumn(expr: string, oid: number): string {
  switch (oid) {
    case PG_OID.TIMESTAMPTZ:
      return `CAST(from_unixtime_nanos(${expr} * 1000) AS timestamp(6) with time zone)`;
    case PG_OID.TIMESTAMP:
      return `CAST(at_timezone(from_unixtime_nanos(${expr} * 1000), 'UTC') AS timestamp(6))`;
    case PG_OID.FLOAT4:
      return `CAST(CAST(${expr} AS double) AS real)`;
    case PG_OID.FLOAT8:
      return `CAST(${expr} AS double)`;
    case PG_OID.BYTEA:
      return `from_base64(${expr})`;
    case PG_OID.DATE:
      return `CAST(${expr} AS date)`;
    default:
      return expr;
  }
}

/** Trino refuses statements longer than query.max-length (1 000 000 characters by default). */
export const DEFAULT_UPLOAD_CHARS = 900_000;

/**
 * The entity rows as INSERT statements of at most `maxChars` characters each: every column a JSON array
 * parsed and unnested server-side (one string literal per column: nothing for Trino's SQL parser to walk row
 * by row), numbered from 0 in frame order in `rowColumn`.
 */
export function entityInserts(
  table: string,
  rowColumn: string,
  columns: readonly FrameColumn[],
  rowCount: number,
  maxChars = DEFAULT_UPLOAD_CHARS,
): string[] {
  const statements: string[] = [];
  const names = columns.map((_, i) => `c${i}`);
  const select = [
    `CAST(ord - 1 + %OFFSET% AS bigint)`,
    ...columns.map((c, i) => fromJsonColumn(names[i]!, c.typeOid)),
  ];
  const head = `INSERT INTO ${table} (${[rowColumn, ...columns.map((c) => c.name)].map(quoteIdent).join(', ')})\nSELECT ${select.join(', ')}\nFROM UNNEST(`;
  const tail = `) WITH ORDINALITY AS u(${[...names, 'ord'].join(', ')})`;
  let start = 0;
  while (start < rowCount) {
    const parts: string[][] = columns.map(() => []);
    let size = head.length + tail.length + columns.length * 60;
    let end = start;
    while (end < rowCount && (end === start || size < maxChars)) {
      for (const [i, c] of columns.entries()) {
        const text = jsonValue(c.values[end], c.typeOid, c.name, end);
        parts[i]!.push(text);
        // Its length in the statement: each ' doubled by the string literal.
        size += text.length + 1 + (text.includes("'") ? text.split("'").length - 1 : 0);
      }
      end++;
    }
    const arrays = columns.map(
      (c, i) =>
        `CAST(json_parse(${quoteString(`[${parts[i]!.join(',')}]`)}) AS array(${jsonArrayType(c.typeOid)}))`,
    );
    statements.push(`${head.replace('%OFFSET%', String(start))}${arrays.join(',\n  ')}${tail}`);
    start = end;
  }
  return statements;
}

/** Where the point-in-time query reads the entity rows from. */
export interface TrinoEntityRef {
  /** A quoted table, or a parenthesised query that numbers rows in `rowColumn`. */
  from: string;
  columns: readonly string[];
  timestampColumn: string;
  rowColumn: string;
  /** The entity timestamps' range, when known before the query (in-memory frames): bounds the source scans. */
  range: { min: bigint; max: bigint } | undefined;
}

/**
 * The point-in-time join, written for a distributed engine; every stage is hash-partitioned or broadcast by
 * Trino, nothing is looked up row by row.
 *
 * Each view's source rows are first narrowed to keys some entity row has: `key IN (SELECT key FROM
 * entity_rows)`, one semi-join per key column. Trino turns each into a dynamic filter that it pushes into the
 * source's scan — for a JDBC source, into the SQL sent to the database (`WHERE key IN (...)`, see
 * {@link pushdownSessionProperties}) — so rows of keys nobody asked for are neither read nor sorted.
 *
 * A view with keys and a TTL (or `filterByCreatedTimestamp`) then joins the entity rows to its source rows
 * on the keys and the window [entity time - TTL, entity time], and keeps the newest per entity row: latest
 * event time, then latest created timestamp, a null created last (`row_number() ... = 1`, which Trino runs
 * as a hash-partitioned TopNRanking: a heap per entity row, no sort of the whole stream). The TTL bounds how
 * many source rows each entity row pairs with.
 *
 * A view without a TTL (or without keys) puts source rows and entity rows in one stream partitioned by key
 * and ordered by time: each entity row takes the last source row at or before it (`last_value ... IGNORE
 * NULLS` over a ROW that is null only for entity rows), later created timestamps after earlier ones on equal
 * event times, rows without a created timestamp first (so they lose ties). One sort per key partition, and
 * no join whose size depends on how many versions a key has.
 *
 * The views' answers are joined back to the entity rows by row number, and the result ordered by it.
 */
export function trinoPointInTimeQuery(plan: HistoricalPlan, entity: TrinoEntityRef): string {
  const q = quoteIdent;
  const row = q(entity.rowColumn);
  const ets = q(entity.timestampColumn);
  const ctes: string[] = [`entity_rows AS (\n  SELECT * FROM ${entity.from}\n)`];
  const joins: string[] = [];
  const select = [`e.${row}`, ...entity.columns.map((c) => `e.${q(c)}`)];
  const maxBound = entity.range
    ? timestampLiteral(entity.range.max)
    : `(SELECT max(${ets}) FROM entity_rows)`;
  const minBound = entity.range
    ? timestampLiteral(entity.range.min)
    : `(SELECT min(${ets}) FROM entity_rows)`;
  for (const [i, v] of plan.views.entries()) {
    const name = `view_${i}`;
    const ts = q(v.timestampColumn);
    const created = v.createdColumn ? q(v.createdColumn) : undefined;
    const ttl = v.ttlSeconds !== 0 ? `INTERVAL '${v.ttlSeconds}' SECOND` : undefined;
    const hitFields = [`s.${ts}`, ...v.features.map((f) => `s.${q(f.sourceColumn)}`)];
    const sourceWhere = [`s.${ts} <= ${maxBound}`];
    if (ttl) sourceWhere.push(`s.${ts} >= ${minBound} - ${ttl}`);
    // Only keys some entity row has (a null key matches nothing either way): dynamic filters on the scan.
    for (const k of v.keys)
      sourceWhere.push(`s.${q(k.sourceColumn)} IN (SELECT ${q(k.entityColumn)} FROM entity_rows)`);
    const createdFilter = plan.filterByCreatedTimestamp && created !== undefined;
    if (createdFilter || (ttl !== undefined && v.keys.length > 0)) {
      // Join plan: equi-join on the keys (hash-distributed), newest eligible row per entity row.
      const on = v.keys.map((k) => `s.${q(k.sourceColumn)} = e.${q(k.entityColumn)}`);
      on.push(`s.${ts} <= e.${ets}`);
      if (ttl) on.push(`s.${ts} >= e.${ets} - ${ttl}`);
      if (createdFilter) on.push(`s.${created} <= e.${ets}`);
      const order = [`s.${ts} DESC`, ...(created ? [`s.${created} DESC NULLS LAST`] : [])];
      ctes.push(
        [
          `${name} AS (`,
          `  SELECT ${row}, hit FROM (`,
          `    SELECT e.${row}, ROW(${hitFields.join(', ')}) AS hit,`,
          `      row_number() OVER (PARTITION BY e.${row} ORDER BY ${order.join(', ')}) AS rank`,
          `    FROM entity_rows AS e`,
          `    JOIN ${v.from} AS s ON ${on.join(' AND ')}`,
          `    WHERE ${sourceWhere.join(' AND ')}`,
          `  ) WHERE rank = 1`,
          `)`,
        ].join('\n'),
      );
    } else {
      const keys = v.keys.map((_, j) => `k${j}`);
      const sourceSelect = [
        `CAST(NULL AS bigint) AS ${row}`,
        `0 AS kind`,
        ...v.keys.map((k, j) => `s.${q(k.sourceColumn)} AS ${keys[j]}`),
        `s.${ts} AS t`,
        `${created ? `s.${created}` : 'CAST(NULL AS integer)'} AS created`,
        `ROW(${hitFields.join(', ')}) AS hit`,
      ];
      const entitySelect = [
        `e.${row}`,
        `1`,
        ...v.keys.map((k) => `e.${q(k.entityColumn)}`),
        `e.${ets}`,
        `NULL`,
        `NULL`,
      ];
      const window = `${keys.length > 0 ? `PARTITION BY ${keys.join(', ')} ` : ''}ORDER BY t, kind, created NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`;
      const ttlCheck = ttl ? ` AND hit[1] >= t - ${ttl}` : '';
      ctes.push(
        [
          `${name} AS (`,
          `  SELECT ${row}, CASE WHEN hit IS NOT NULL${ttlCheck} THEN hit END AS hit FROM (`,
          `    SELECT ${row}, kind, t, last_value(hit) IGNORE NULLS OVER (${window}) AS hit`,
          `    FROM (`,
          `      SELECT ${sourceSelect.join(', ')}`,
          `      FROM ${v.from} AS s`,
          `      WHERE ${sourceWhere.join(' AND ')}`,
          `      UNION ALL`,
          `      SELECT ${entitySelect.join(', ')}`,
          `      FROM entity_rows AS e`,
          `    )`,
          `  ) WHERE kind = 1`,
          `)`,
        ].join('\n'),
      );
    }
    joins.push(`LEFT JOIN ${name} ON ${name}.${row} = e.${row}`);
    for (const [j, f] of v.features.entries()) select.push(`${name}.hit[${j + 2}] AS ${q(f.outputName)}`);
  }
  return [
    `WITH ${ctes.join(',\n')}`,
    `SELECT ${select.join(',\n       ')}`,
    `FROM entity_rows AS e`,
    ...joins,
    `ORDER BY e.${row}`,
  ].join('\n');
}

const QUOTED_PART = '"((?:[^"]|"")*)"';
const THREE_PART = new RegExp(`^${QUOTED_PART}\\.${QUOTED_PART}\\.${QUOTED_PART}$`);

/** The catalogs the views' sources name (catalog.schema.table); query sources and shorter names are left out. */
export function sourceCatalogs(views: readonly { from: string }[]): string[] {
  const catalogs = new Set<string>();
  for (const v of views) {
    const match = THREE_PART.exec(v.from);
    if (match) catalogs.add(match[1]!.replace(/""/g, '"'));
  }
  return [...catalogs];
}

/**
 * Values up to which the dynamic filters on a PostgreSQL source reach PostgreSQL as `key IN (...)`. The
 * connector's default (domain_compaction_threshold 256) widens any larger set of keys to one range
 * [min, max], so with thousands of entity keys the whole table crosses the JDBC connection. Each value is one
 * bind parameter and PostgreSQL's protocol allows 65,535 per statement: 30,000 in all, shared by the key
 * columns of the widest view, leaves room for the rest.
 */
export const POSTGRESQL_DOMAIN_COMPACTION_THRESHOLD = 30_000;

/**
 * Session properties for the point-in-time query, given the source catalogs whose connector is postgresql and
 * the most key columns any view has (each column's filter is a list of its own).
 */
export function pushdownSessionProperties(
  postgresqlCatalogs: readonly string[],
  keyColumns = 1,
): Record<string, string> {
  const threshold = Math.max(
    256,
    Math.floor(POSTGRESQL_DOMAIN_COMPACTION_THRESHOLD / Math.max(1, keyColumns)),
  );
  return Object.fromEntries(
    postgresqlCatalogs.map((c) => [`${c}.domain_compaction_threshold`, String(threshold)]),
  );
}
