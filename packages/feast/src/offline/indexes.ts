import { createHash } from 'node:crypto';
import pg from 'pg';
import type { HistoricalPlan } from './plan';

/** An index that makes a view's point-in-time lookups one index probe each. */
export interface OfflineIndex {
  featureView: string;
  /** The source table, as written in the source; undefined for a query source. */
  table: string | undefined;
  /** Join keys, then the event timestamp and created timestamp. */
  columns: string[];
  /** The feature columns the index INCLUDEs (`includeFeatures`), so lookups and the array plan read only it. */
  include: string[];
  /** The CREATE INDEX statement; undefined for a query source (index its tables yourself). */
  sql: string | undefined;
  /**
   * True when the table already has a btree index that serves as well: led by the join keys, then the event
   * and created timestamps in the lookup's order or exactly reversed, and (with `includeFeatures`) holding
   * every feature column.
   */
  exists: boolean;
  /** For a query source: what to index instead. */
  note: string | undefined;
}

/** pg_index.indoption bits of a key column. */
const DESC = 1;
const NULLS_FIRST = 2;

/**
 * True when a btree (its columns and indoption) returns each lookup's answer first: led by the join keys in
 * any order, then the event timestamp and created timestamp, sorted as the lookup sorts them (event DESC,
 * created DESC NULLS LAST) or exactly reversed (a backward scan). Anything less leaves PostgreSQL a sort per
 * lookup, about twice as slow.
 */
function serves(
  index: { columns: readonly string[]; options: readonly number[] },
  wanted: readonly string[],
  keys: number,
  include: readonly string[] = [],
): boolean {
  const { columns, options } = index;
  if (columns.length < wanted.length || options.length < wanted.length) return false;
  if (include.some((c) => !columns.includes(c))) return false;
  const leading = new Set(columns.slice(0, keys));
  if (leading.size !== keys || wanted.slice(0, keys).some((c) => !leading.has(c))) return false;
  if (wanted.slice(keys).some((c, i) => columns[keys + i] !== c)) return false;
  const ts = options[keys]!;
  const created = wanted.length > keys + 1 ? options[keys + 1]! : undefined;
  const forward = ts === (DESC | NULLS_FIRST) && (created === undefined || created === DESC);
  const backward = ts === 0 && (created === undefined || created === NULLS_FIRST);
  return forward || backward;
}

/** A name for the index: readable, within PostgreSQL's 63 bytes, and distinct per table and columns. */
function indexName(table: string, columns: readonly string[]): string {
  const hash = createHash('sha256')
    .update(`${table}\u0000${columns.join('\u0000')}`)
    .digest('hex')
    .slice(0, 8);
  const base = `${table.replace(/[^A-Za-z0-9_]/g, '_')}_pit`.slice(0, 63 - 9 - 4);
  return `${base}_${hash}_idx`;
}

/**
 * The indexes point-in-time retrieval wants: per view with a table source, a btree on (join keys,
 * event timestamp DESC, created DESC NULLS LAST). With `includeFeatures` (opt-in: a larger index, written on
 * every insert), a covering index instead: (join keys, event timestamp, created NULLS FIRST) INCLUDE
 * (features). Its ascending order is the array plan's sort order (a forward index-only scan replaces the
 * sort of the whole source) and, read backwards, the lookups' order (each lookup an index-only probe).
 * Index-only scans need the table's visibility map: VACUUM the table after loading it. `exists` says whether
 * the table already has an index that serves as well (see serves).
 */
export async function offlineIndexes(
  pool: pg.Pool,
  plan: HistoricalPlan,
  options: { includeFeatures?: boolean } = {},
): Promise<OfflineIndex[]> {
  const q = pg.escapeIdentifier;
  const out: OfflineIndex[] = [];
  const seen = new Set<string>();
  for (const view of plan.views) {
    const columns = [...view.keys.map((k) => k.sourceColumn), view.timestampColumn];
    if (view.createdColumn) columns.push(view.createdColumn);
    if (view.source.table === undefined) {
      out.push({
        featureView: view.view.name,
        table: undefined,
        columns,
        include: [],
        sql: undefined,
        exists: false,
        note: `${view.view.name} reads a query; index the table it reads on (${columns.join(', ')}) if the query passes those columns through.`,
      });
      continue;
    }
    const key = `${view.from}\u0000${columns.join('\u0000')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const covering = options.includeFeatures === true && view.features.length > 0;
    const include = covering
      ? [...new Set(view.features.map((f) => f.sourceColumn))].filter((c) => !columns.includes(c))
      : [];
    // The lookups' order (the first index entry in range is the answer); a covering index takes the exact
    // reverse, the array plan's order, which serves the lookups as a backward scan.
    const keyed = columns.map((c, i) =>
      i < view.keys.length
        ? q(c)
        : covering
          ? i === view.keys.length
            ? q(c)
            : `${q(c)} NULLS FIRST`
          : i === view.keys.length
            ? `${q(c)} DESC`
            : `${q(c)} DESC NULLS LAST`,
    );
    const includeSql = include.length > 0 ? ` INCLUDE (${include.map(q).join(', ')})` : '';
    const sql = `CREATE INDEX IF NOT EXISTS ${q(indexName(view.source.table, [...keyed, ...include]))} ON ${view.from} (${keyed.join(', ')})${includeSql}`;
    const found = await pool.query<{ columns: string[]; options: number[] }>(
      `SELECT (SELECT array_agg(a.attname::text ORDER BY k.ord)
                 FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns,
              string_to_array(i.indoption::text, ' ')::int[] AS options
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        WHERE i.indrelid = to_regclass($1) AND am.amname = 'btree' AND i.indpred IS NULL`,
      [view.from],
    );
    const exists = found.rows.some((index) =>
      serves(
        { columns: index.columns ?? [], options: index.options ?? [] },
        columns,
        view.keys.length,
        include,
      ),
    );
    out.push({
      featureView: view.view.name,
      table: view.source.table,
      columns,
      include,
      sql,
      exists,
      note: undefined,
    });
  }
  return out;
}
