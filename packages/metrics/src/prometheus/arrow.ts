// A range result as an Apache Arrow table (long form: one row per float sample). apache-arrow is imported here
// only, on the first toArrow() call, so users who never call it never load it.
import type { Table, Vector } from 'apache-arrow';
import { PrometheusArgumentError } from './errors';
import type { RangeSeries } from './types';

/** The float samples of `series`: `timestamp` (ms, UTC), `value` (Float64), one dictionary column per label. */
export async function matrixToArrow(series: RangeSeries[]): Promise<Table> {
  const arrow = await import('apache-arrow');
  let rows = 0;
  const names = new Set<string>();
  for (const s of series) {
    if (s.histograms.length > 0)
      throw new PrometheusArgumentError(
        'toArrow',
        `toArrow() takes float samples only, but the series ${JSON.stringify(s.metric)} has ${s.histograms.length} native histogram samples: query histogram_count(), histogram_sum() or histogram_quantile() of it instead.`,
      );
    rows += s.values.length;
    for (const name in s.metric) names.add(name);
  }
  for (const reserved of ['timestamp', 'value'])
    if (names.has(reserved))
      throw new PrometheusArgumentError(
        'toArrow',
        `toArrow() names its sample columns timestamp and value, but the result has a label named ${reserved}: rename it in the query: label_replace(label_replace(<expr>, "${reserved}_label", "$1", "${reserved}", "(.*)"), "${reserved}", "", "", "").`,
      );
  const timestamps = new BigInt64Array(rows);
  const values = new Float64Array(rows);
  const labelColumns = new Map<string, (string | null)[]>();
  for (const name of [...names].sort()) labelColumns.set(name, new Array<string | null>(rows));
  let row = 0;
  for (const s of series) {
    const start = row;
    for (const [t, v] of s.values) {
      timestamps[row] = BigInt(t);
      values[row] = v;
      row++;
    }
    for (const [name, column] of labelColumns) column.fill(s.metric[name] ?? null, start, row);
  }
  const columns: Record<string, Vector> = {};
  for (const [name, column] of labelColumns)
    columns[name] = arrow.vectorFromArray(column, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
  columns.timestamp = arrow.makeVector(
    arrow.makeData({ type: new arrow.TimestampMillisecond('UTC'), data: timestamps, length: rows }),
  );
  columns.value = arrow.makeVector(values);
  return new arrow.Table(columns);
}
