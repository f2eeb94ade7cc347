import type { RecordBatch, Schema } from 'apache-arrow';
import type { FeatureView } from '../../registry/model';
import { oidForValueType } from '../entity-df';
import { pullLatestShape } from '../materialize';
import { PG_OID } from '../pg-copy';
import type { StreamOptions } from '../session';
import { TrinoArrowDecoder } from './arrow';
import type { TrinoClient } from './client';
import { quoteIdent, quoteString, timestampLiteral, trinoSourceFrom, trinoTypeOfOid } from './sql';

/**
 * The latest row of each entity of a view with an event timestamp in [start, end], latest created timestamp
 * first on ties (rows without one last), in join-key order (so a run can resume after a key): a window
 * ranking partitioned by the join keys, which Trino hash-distributes. Columns keep their source names, as
 * on PostgreSQL.
 */
export function trinoPullLatestQuery(
  view: FeatureView,
  startInput: unknown,
  endInput: unknown,
  after?: readonly string[],
): string {
  const shape = pullLatestShape(view, startInput, endInput, after, trinoSourceFrom);
  const { start, end, from, keyColumns, featureColumns } = shape;
  const q = quoteIdent;
  const ts = q(shape.timestampColumn);
  const created = shape.createdColumn ? q(shape.createdColumn) : undefined;
  const columns = [...new Set([...keyColumns, ...featureColumns, shape.timestampColumn])].map(q);
  const order = [`s.${ts} DESC`, ...(created ? [`s.${created} DESC NULLS LAST`] : [])];
  const where = [`s.${ts} BETWEEN ${timestampLiteral(start)} AND ${timestampLiteral(end)}`];
  if (after !== undefined && keyColumns.length > 0) {
    const bounds = view.entityColumns.map((column, i) => {
      const oid = oidForValueType(column.valueType) ?? PG_OID.TEXT;
      const text = after[i]!;
      if (oid === PG_OID.BYTEA) return `from_hex(${quoteString(text.replace(/^\\x/, ''))})`;
      return `CAST(${quoteString(text)} AS ${trinoTypeOfOid(oid, column.name)})`;
    });
    where.push(`(${keyColumns.map((c) => `s.${q(c)}`).join(', ')}) > (${bounds.join(', ')})`);
  }
  const partition =
    keyColumns.length > 0 ? `PARTITION BY ${keyColumns.map((c) => `s.${q(c)}`).join(', ')} ` : '';
  return [
    `SELECT ${columns.join(', ')} FROM (`,
    `  SELECT ${columns.map((c) => `s.${c}`).join(', ')},`,
    `    row_number() OVER (${partition}ORDER BY ${order.join(', ')}) AS mlops_rank`,
    `  FROM ${from} AS s`,
    `  WHERE ${where.join(' AND ')}`,
    `)`,
    `WHERE mlops_rank = 1`,
    ...(keyColumns.length > 0 ? [`ORDER BY ${keyColumns.map(q).join(', ')}`] : []),
  ].join('\n');
}

/** A query's result as Arrow record batches, read page by page (bounded by `batchRows` rows plus a page). */
export async function* trinoBatches(
  client: TrinoClient,
  sql: string,
  options: StreamOptions & { step: string; onSchema?: (schema: Schema) => void },
): AsyncGenerator<RecordBatch> {
  let decoder: TrinoArrowDecoder | undefined;
  for await (const page of client.pages(sql, options)) {
    if (!decoder) {
      decoder = new TrinoArrowDecoder(page.columns, { batchRows: options.batchRows ?? 65_536 });
      options.onSchema?.(decoder.schema);
    }
    yield* decoder.push(page.rows);
  }
  if (decoder) yield* decoder.end();
}
