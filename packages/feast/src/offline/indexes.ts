import { createHash } from 'node:crypto';
import pg from 'pg';
import type { HistoricalPlan } from './plan';

/** An index that makes a view's point-in-time lookups one index probe each. */
export interface OfflineIndex {
  featureView: string;
  /** The source table, as written in the source; undefined for a query source. */
  table: string | undefined;
  /** Join keys, then the event timestamp and created timestamp (descending). */
  columns: string[];
  /** The CREATE INDEX statement; undefined for a query source (index its tables yourself). */
  sql: string | undefined;
  /** True when the table already has a btree index led by the join keys and the event timestamp. */
  exists: boolean;
  /** For a query source: what to index instead. */
  note: string | undefined;
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
 * event timestamp DESC, created DESC), optionally INCLUDE-ing the features so lookups read only the index.
 * `exists` says whether the table already has an index that serves (led by the join keys and event time).
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
        sql: undefined,
        exists: false,
        note: `${view.view.name} reads a query; index the table it reads on (${columns.join(', ')}) if the query passes those columns through.`,
      });
      continue;
    }
    const key = `${view.from}\u0000${columns.join('\u0000')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // The same order as the lookups sort by, so the first index entry in range is the answer.
    const keyed = columns.map((c, i) =>
      i < view.keys.length ? q(c) : i === view.keys.length ? `${q(c)} DESC` : `${q(c)} DESC NULLS LAST`,
    );
    const include =
      options.includeFeatures && view.features.length > 0
        ? ` INCLUDE (${[...new Set(view.features.map((f) => f.sourceColumn))].map(q).join(', ')})`
        : '';
    const sql = `CREATE INDEX IF NOT EXISTS ${q(indexName(view.source.table, columns))} ON ${view.from} (${keyed.join(', ')})${include}`;
    const leading = columns.slice(0, view.keys.length + 1);
    const found = await pool.query<{ n: string }>(
      `SELECT count(*) AS n
         FROM pg_index i
        WHERE i.indrelid = to_regclass($1)
          AND (SELECT array_agg(a.attname::text ORDER BY k.ord)
                 FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE k.ord <= $2) = $3::text[]`,
      [view.from, leading.length, leading],
    );
    out.push({
      featureView: view.view.name,
      table: view.source.table,
      columns,
      sql,
      exists: Number(found.rows[0]!.n) > 0,
      note: undefined,
    });
  }
  return out;
}
