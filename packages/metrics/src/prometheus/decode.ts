// From Prometheus's JSON to our results: sample values from strings to numbers ("NaN", "+Inf", "-Inf" exact),
// float unix seconds to integer milliseconds, native histograms' strings to numbers. A shape the spec does not
// allow is a DecodeError naming the field, never a half-read result. This is the hot path of queryRange
// (bench/prometheus-query.mjs: a million samples): plain loops, no per-sample closures.
import { DecodeError, MlopsError } from '@mlops/core';
import type { components } from '../generated/prometheus';
import { matrixToArrow } from './arrow';
import { scanMatrix } from './matrix-scan';
import type {
  FloatSample,
  HistogramSample,
  InstantSample,
  MatrixResult,
  NativeHistogram,
  QueryAnnotations,
  QueryResult,
  RangeSeries,
} from './types';

type Schemas = components['schemas'];
// The wire shapes, as loose as openapi-fetch hands them over (its response types widen tuples to arrays): the
// decoders check each element at run time.
type Point = readonly unknown[];
type WireLabels = Record<string, string>;
type WireSeries = { metric: WireLabels; values?: readonly Point[]; histograms?: readonly Point[] };
type WireSample = { metric: WireLabels; value: Point } | { metric: WireLabels; histogram: Point };
type Envelope = { warnings?: string[]; infos?: string[] };
type WithStats = { stats?: Schemas['QueryStats'] };
type WireQueryData =
  | ({ resultType: 'vector'; result: readonly WireSample[] } & WithStats)
  | ({ resultType: 'matrix'; result: readonly WireSeries[] } & WithStats)
  | ({ resultType: 'scalar'; result: Point } & WithStats)
  | ({ resultType: 'string'; result: Point } & WithStats);

/** Where a decode failure happened, for the error. */
export interface DecodeContext {
  source: string;
}

/** A `metric` as Prometheus writes it: an object of label names to string values. */
function isLabels(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

function fail(context: DecodeContext, field: string, what: string): never {
  throw new DecodeError(
    { what: 'Prometheus query result', source: context.source, field },
    `Prometheus answered ${context.source} with ${what} at ${field}: not the documented shape. Is the URL a Prometheus server (or a proxy in front of it)?`,
  );
}

/**
 * Runs a decoder of a Prometheus answer: an answer of another shape than the documented one (a number where a
 * sample belongs) that slipped past the decoder's own checks is a DecodeError too, never a TypeError.
 */
export function decodeGuarded<T>(context: DecodeContext, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (MlopsError.isInstance(cause)) throw cause;
    throw new DecodeError(
      { what: 'Prometheus query result', source: context.source, cause },
      `Prometheus answered ${context.source} with a body of another shape than the documented one (${cause instanceof Error ? cause.message : String(cause)}). Is the URL a Prometheus server (or a proxy in front of it)?`,
    );
  }
}

/** A sample value as Prometheus writes it: Go's float formatting, plus NaN, +Inf and -Inf. */
export function parseSampleValue(text: unknown, context: DecodeContext, field: string): number {
  if (typeof text !== 'string') return fail(context, field, `a ${typeof text} instead of a value string`);
  const value = Number(text);
  if (!Number.isNaN(value) || text === 'NaN') return value;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return fail(context, field, `the value ${JSON.stringify(text.slice(0, 40))}`);
}

/** Float unix seconds (millisecond precision) → integer milliseconds: exact, as Prometheus keeps milliseconds. */
export function secondsToMs(seconds: number, context: DecodeContext, field: string): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    fail(context, field, 'a timestamp that is not a number');
  const ms = Math.round(seconds * 1000);
  // Seconds past ±9e12 (285 000 years) have no exact millisecond (or none at all: 1.8e305 s is ±Infinity ms).
  if (!Number.isSafeInteger(ms)) fail(context, field, `the timestamp ${seconds}, out of range`);
  return ms;
}

function floatPoint(point: Point, context: DecodeContext, field: string): FloatSample {
  if (!Array.isArray(point)) fail(context, field, 'a sample that is not a [time, value] pair');
  return [secondsToMs(point[0], context, field), parseSampleValue(point[1], context, field)];
}

function isBoundaryRule(value: unknown): value is 0 | 1 | 2 | 3 {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

function histogram(value: unknown, context: DecodeContext, field: string): NativeHistogram {
  if (typeof value !== 'object' || value === null || !('count' in value) || !('sum' in value))
    return fail(context, field, 'a histogram that is not an object with count and sum');
  const raw = 'buckets' in value ? value.buckets : undefined;
  if (raw !== undefined && !Array.isArray(raw))
    return fail(context, field, 'histogram buckets that are not an array');
  const buckets = (raw ?? []).map((b: unknown, i: number) => {
    const at = `${field}.buckets[${i}]`;
    if (!Array.isArray(b) || b.length !== 4)
      return fail(context, at, 'a bucket that is not [rule, lower, upper, count]');
    const rule: unknown = b[0];
    if (!isBoundaryRule(rule)) return fail(context, at, `the boundary rule ${String(rule)}`);
    return {
      boundaryRule: rule,
      lower: parseSampleValue(b[1], context, at),
      upper: parseSampleValue(b[2], context, at),
      count: parseSampleValue(b[3], context, at),
    };
  });
  return {
    count: parseSampleValue(value.count, context, `${field}.count`),
    sum: parseSampleValue(value.sum, context, `${field}.sum`),
    buckets,
  };
}

function histogramPoint(point: Point, context: DecodeContext, field: string): HistogramSample {
  if (!Array.isArray(point)) fail(context, field, 'a histogram sample that is not a [time, histogram] pair');
  return [secondsToMs(point[0], context, field), histogram(point[1], context, field)];
}

function annotations(body: Envelope, data: WithStats): QueryAnnotations {
  const out: QueryAnnotations = { warnings: body.warnings ?? [], infos: body.infos ?? [] };
  if (data.stats !== undefined) out.stats = data.stats;
  return out;
}

function vector(result: readonly WireSample[], context: DecodeContext): InstantSample[] {
  if (!Array.isArray(result)) fail(context, 'data.result', 'a vector result that is not an array');
  const out: InstantSample[] = new Array(result.length);
  for (let i = 0; i < result.length; i++) {
    const item = result[i]!;
    const field = `data.result[${i}]`;
    if (typeof item !== 'object' || item === null || !isLabels(item.metric))
      fail(context, field, 'a vector element that is not an object with a metric of labels');
    if ('histogram' in item)
      out[i] = { metric: item.metric, histogram: histogramPoint(item.histogram, context, field) };
    else if ('value' in item) out[i] = { metric: item.metric, value: floatPoint(item.value, context, field) };
    else fail(context, field, 'a vector element with neither value nor histogram');
  }
  return out;
}

/** A matrix's series: the loop a large range query spends its time in. */
export function decodeSeries(result: readonly WireSeries[], context: DecodeContext): RangeSeries[] {
  if (!Array.isArray(result)) fail(context, 'data.result', 'a matrix result that is not an array');
  const out: RangeSeries[] = new Array(result.length);
  for (let i = 0; i < result.length; i++) {
    const series = result[i]!;
    if (typeof series !== 'object' || series === null || !isLabels(series.metric))
      fail(context, `data.result[${i}]`, 'a series that is not an object with a metric of labels');
    const raw = series.values;
    if (raw !== undefined && !Array.isArray(raw))
      fail(context, `data.result[${i}].values`, 'values that are not an array');
    if (series.histograms !== undefined && !Array.isArray(series.histograms))
      fail(context, `data.result[${i}].histograms`, 'histograms that are not an array');
    let values: FloatSample[] = [];
    if (raw !== undefined) {
      values = new Array(raw.length);
      for (let j = 0; j < raw.length; j++) {
        const point = raw[j]!;
        const t = point[0];
        const text = point[1];
        // Inline fast path for the common case; anything unusual goes through the checked decoders.
        const v = Number(text);
        const ms = typeof t === 'number' ? Math.round(t * 1000) : Number.NaN;
        if (Number.isSafeInteger(ms) && typeof text === 'string' && !Number.isNaN(v) && text !== '')
          values[j] = [ms, v];
        else values[j] = floatPoint(point, context, `data.result[${i}].values[${j}]`);
      }
    }
    const histograms = (series.histograms ?? []).map((p: Point, j: number) =>
      histogramPoint(p, context, `data.result[${i}].histograms[${j}]`),
    );
    if (raw === undefined && series.histograms === undefined)
      fail(context, `data.result[${i}]`, 'a series with neither values nor histograms');
    out[i] = { metric: series.metric, values, histograms };
  }
  return out;
}

export function matrixResult(
  body: Envelope,
  data: { result: readonly WireSeries[] } & WithStats,
  context: DecodeContext,
): MatrixResult {
  const result = decodeSeries(data.result, context);
  return {
    resultType: 'matrix',
    result,
    ...annotations(body, data),
    toArrow: () => matrixToArrow(result),
  };
}

/** The `data` of an instant query, by its resultType. */
export function queryResult(body: Envelope, data: WireQueryData, context: DecodeContext): QueryResult {
  if (typeof data !== 'object' || data === null) fail(context, 'data', 'no data');
  switch (data.resultType) {
    case 'vector':
      return { resultType: 'vector', result: vector(data.result, context), ...annotations(body, data) };
    case 'matrix':
      return matrixResult(body, data, context);
    case 'scalar':
      return {
        resultType: 'scalar',
        result: floatPoint(data.result, context, 'data.result'),
        ...annotations(body, data),
      };
    case 'string': {
      const [t, text] = Array.isArray(data.result) ? data.result : [];
      if (typeof text !== 'string') fail(context, 'data.result', 'a string result without its string');
      return {
        resultType: 'string',
        result: [secondsToMs(t, context, 'data.result'), text],
        ...annotations(body, data),
      };
    }
    default:
      return fail(
        context,
        'data.resultType',
        `the result type ${JSON.stringify((data as { resultType?: unknown }).resultType)}`,
      );
  }
}

/**
 * A range answer from its text: scanned (matrix-scan.ts) when it has Prometheus's exact form, parsed as JSON
 * otherwise; the same result either way.
 */
export function matrixFromText(text: string, context: DecodeContext): MatrixResult {
  const scanned = scanMatrix(text);
  if (scanned !== undefined) {
    const { result, rest } = scanned;
    const stats = rest.data?.stats;
    return {
      resultType: 'matrix',
      result,
      warnings: rest.warnings ?? [],
      infos: rest.infos ?? [],
      ...(stats === undefined ? {} : { stats }),
      toArrow: () => matrixToArrow(result),
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    const snippet = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new DecodeError(
      { what: 'JSON response body', source: context.source, cause },
      `Prometheus answered ${context.source} with a body that is not JSON: ${JSON.stringify(snippet)}`,
    );
  }
  if (!isRecord(body) || body.status !== 'success')
    return fail(context, 'status', 'an answer that is not a success envelope');
  const data = body.data;
  if (!isRecord(data) || data.resultType !== 'matrix' || !Array.isArray(data.result))
    return fail(context, 'data.resultType', 'a range answer that is not a matrix');
  const envelope: Envelope = {};
  if (Array.isArray(body.warnings)) envelope.warnings = body.warnings.map(String);
  if (Array.isArray(body.infos)) envelope.infos = body.infos.map(String);
  const stats = isRecord(data.stats) ? { stats: data.stats } : {};
  return matrixResult(envelope, { result: data.result, ...stats }, context);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
