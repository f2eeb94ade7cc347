/**
 * The reference profile of a training set: per feature its type, missing rate, and either quantile bins
 * (numbers) or category frequencies (strings, booleans, dictionaries). Plain JSON of a few KB, to log as
 * an MLflow artifact next to the model and load in the serving process.
 */
import type { DataType, Dictionary, Table } from 'apache-arrow';
import { checkLabelName, MetricsInputError } from '../serving/errors';
import { binOf, quantileSorted } from './stats';

export interface NumericFeatureProfile {
  name: string;
  kind: 'numeric';
  /** The Arrow type of the training column ('Float64', 'Int64', ...). */
  type: string;
  /** Share of training rows where the feature is null or NaN. */
  missingRate: number;
  /** Smallest and largest training value: live values outside count as out of range. */
  min: number;
  max: number;
  /** Inner bin edges: the training quantiles at 1/b … (b−1)/b, ties merged. Bin i holds (edges[i−1], edges[i]]. */
  edges: number[];
  /** Share of (non-missing) training values per bin: edges.length + 1 numbers summing to 1. */
  frequencies: number[];
  /** The training quantiles at 0, 1/q, …, 1: the reference CDF of the Kolmogorov–Smirnov statistic. */
  quantiles: number[];
}

export interface CategoricalFeatureProfile {
  name: string;
  kind: 'categorical';
  type: string;
  missingRate: number;
  /** The most frequent training categories (booleans as 'true'/'false'), most frequent first. */
  categories: string[];
  /** Share of (non-missing) training values per category. */
  frequencies: number[];
  /** Share of training values in categories beyond `categories` (0 when every category is listed). */
  otherFrequency: number;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

export interface Profile {
  /** The format of this object; bumped on incompatible changes. */
  version: 1;
  /** Training rows profiled. */
  rows: number;
  features: FeatureProfile[];
}

export interface ProfileOptions {
  /** Columns to profile. Default: every column except `exclude`. */
  features?: readonly string[];
  /** Columns to leave out (ids, timestamps, the label). */
  exclude?: readonly string[];
  /** Quantile bins per numeric feature for the PSI. Default 10. */
  bins?: number;
  /** Points of the reference CDF per numeric feature, for the KS statistic. Default 101 (percentiles). */
  quantiles?: number;
  /** Categories kept per categorical feature, most frequent first. Default 50. */
  maxCategories?: number;
}

// Arrow's Type enum (format/Schema.fbs), as `DataType.typeId` reports it; compared by number so that this
// module needs apache-arrow's types only, never its runtime.
const INT = 2;
const FLOAT = 3;
const UTF8 = 5;
const BOOL = 6;
const LARGE_UTF8 = 20;
const DICTIONARY = -1;

/** Profiles the columns of a training set given as an Apache Arrow table. */
export function profileFrom(table: Table, options: ProfileOptions = {}): Profile {
  const bins = positiveInt(options.bins ?? 10, 'bins', 2);
  const points = positiveInt(options.quantiles ?? 101, 'quantiles', 2);
  const maxCategories = positiveInt(options.maxCategories ?? 50, 'maxCategories', 1);
  const exclude = new Set(options.exclude ?? []);
  const names = options.features ?? table.schema.fields.map((f) => f.name).filter((n) => !exclude.has(n));
  const features: FeatureProfile[] = [];
  for (const name of names) {
    checkLabelName(name, `features.${name}`);
    const field = table.schema.fields.find((f) => f.name === name);
    const column = table.getChild(name);
    if (field === undefined || column === null)
      throw new MetricsInputError(
        `features.${name}`,
        `features.${name}: the table has no column ${JSON.stringify(name)} (it has ${table.schema.fields.map((f) => f.name).join(', ')}).`,
      );
    const kind = kindOf(field.type);
    if (kind === undefined)
      throw new MetricsInputError(
        `features.${name}`,
        `features.${name}: cannot profile a column of Arrow type ${String(field.type)}; numbers, strings, booleans and string dictionaries can be. Leave it out with exclude: [${JSON.stringify(name)}].`,
      );
    features.push(
      kind === 'numeric'
        ? numericProfile(name, String(field.type), column, bins, points)
        : categoricalProfile(name, String(field.type), column, maxCategories),
    );
  }
  return { version: 1, rows: table.numRows, features };
}

function kindOf(type: DataType): 'numeric' | 'categorical' | undefined {
  const id = type.typeId as number;
  if (id === INT || id === FLOAT) return 'numeric';
  if (id === UTF8 || id === LARGE_UTF8 || id === BOOL) return 'categorical';
  if (id === DICTIONARY) {
    const values = (type as Dictionary).dictionary.typeId as number;
    return values === UTF8 || values === LARGE_UTF8 ? 'categorical' : undefined;
  }
  return undefined;
}

function numericProfile(
  name: string,
  type: string,
  column: Iterable<unknown>,
  bins: number,
  points: number,
): NumericFeatureProfile {
  const values: number[] = [];
  let rows = 0;
  for (const raw of column) {
    rows++;
    // Int64 values come as bigint; as numbers they lose digits beyond 2^53, which no statistic here feels.
    const value = typeof raw === 'bigint' ? Number(raw) : (raw as number | null);
    if (value !== null && !Number.isNaN(value)) values.push(value);
  }
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0)
    throw new MetricsInputError(
      `features.${name}`,
      `features.${name}: every training value is missing; exclude the column.`,
    );
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < n; i++) counts[binOf(edges, sorted[i]!)]!++;
  const quantiles = Array.from({ length: points }, (_, j) => quantileSorted(sorted, j / (points - 1)));
  return {
    name,
    kind: 'numeric',
    type,
    missingRate: (rows - n) / rows,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    edges,
    frequencies: counts.map((c) => c / n),
    quantiles,
  };
}

function categoricalProfile(
  name: string,
  type: string,
  column: Iterable<unknown>,
  maxCategories: number,
): CategoricalFeatureProfile {
  const counts = new Map<string, number>();
  let rows = 0;
  let present = 0;
  for (const raw of column) {
    rows++;
    if (raw === null || raw === undefined) continue;
    present++;
    const key = String(raw);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (present === 0)
    throw new MetricsInputError(
      `features.${name}`,
      `features.${name}: every training value is missing; exclude the column.`,
    );
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxCategories);
  const kept = ranked.reduce((sum, [, c]) => sum + c, 0);
  return {
    name,
    kind: 'categorical',
    type,
    missingRate: (rows - present) / rows,
    categories: ranked.map(([k]) => k),
    frequencies: ranked.map(([, c]) => c / present),
    otherFrequency: (present - kept) / present,
  };
}

function positiveInt(value: number, input: string, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new MetricsInputError(input, `${input}: expected an integer ≥ ${min}, got ${String(value)}.`);
  return value;
}
