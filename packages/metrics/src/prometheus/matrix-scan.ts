// A range answer read straight from its text: the hot path of queryRange. Hand-written because JSON.parse builds
// an array, a string and a heap number per sample that we would only turn into [ms, number] and drop: scanning the
// `values` arrays ourselves skips that (bench/prometheus-query.mjs, 1k series × 1k samples: see the README's
// table). It reads the exact text Prometheus writes (no whitespace, `[seconds.mmm,"value"]` pairs) and gives up
// — returning undefined, so the caller takes the JSON.parse path — on anything else: histograms, whitespace,
// exponents, more than 3 decimals, an unexpected key. What it reads is checked against the JSON.parse path by a
// property test (test/prometheus/matrix-scan.test.ts).
import type { FloatSample, RangeSeries } from './types';

const PREFIX = '{"status":"success","data":{"resultType":"matrix","result":[';
const VALUES = ',"values":[';
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const DOT = 46;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

export interface ScannedMatrix {
  result: RangeSeries[];
  /** The answer without its result (status, data.resultType, data.stats, warnings, infos), parsed. */
  rest: { data?: { stats?: Record<string, unknown> }; warnings?: string[]; infos?: string[] };
}

/** The end of the JSON string starting at `i` (an opening quote): the index of its closing quote. */
function stringEnd(t: string, i: number): number {
  for (let j = i + 1; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j;
  }
  return -1;
}

/** The index of the `}` closing the object that starts at `i`, or -1. */
function objectEnd(t: string, i: number): number {
  let depth = 0;
  for (let j = i; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === QUOTE) {
      j = stringEnd(t, j);
      if (j < 0) return -1;
    } else if (c === OPEN_BRACE) depth++;
    else if (c === CLOSE_BRACE && --depth === 0) return j;
  }
  return -1;
}

/** A sample value as decode.ts's parseSampleValue reads it; undefined when it is none. */
function sampleValue(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isNaN(value)) return text === '' ? undefined : value;
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Scans `t`; undefined when it is not in the exact form this reads (the caller then parses it as JSON). */
export function scanMatrix(t: string): ScannedMatrix | undefined {
  if (!t.startsWith(PREFIX)) return undefined;
  const result: RangeSeries[] = [];
  let i = PREFIX.length;
  if (t.charCodeAt(i) !== CLOSE_BRACKET) {
    for (;;) {
      if (t.charCodeAt(i) !== OPEN_BRACE || !t.startsWith('"metric":', i + 1)) return undefined;
      const metricStart = i + 10;
      const metricEnd = objectEnd(t, metricStart);
      if (metricEnd < 0 || !t.startsWith(VALUES, metricEnd + 1)) return undefined;
      let metric: Record<string, string>;
      try {
        metric = JSON.parse(t.slice(metricStart, metricEnd + 1));
      } catch {
        return undefined;
      }
      i = metricEnd + 1 + VALUES.length;
      const values: FloatSample[] = [];
      if (t.charCodeAt(i) === CLOSE_BRACKET) return undefined; // an empty values array is not Prometheus's
      for (;;) {
        if (t.charCodeAt(i) !== OPEN_BRACKET) return undefined;
        i++;
        // Seconds with up to 3 decimals, read as integer milliseconds: exact, no float arithmetic.
        let c = t.charCodeAt(i);
        if (c < 48 || c > 57) return undefined;
        let ms = 0;
        while (c >= 48 && c <= 57) {
          ms = ms * 10 + (c - 48);
          c = t.charCodeAt(++i);
        }
        ms *= 1000;
        if (c === DOT) {
          let scale = 100;
          c = t.charCodeAt(++i);
          while (c >= 48 && c <= 57) {
            if (scale < 1) return undefined;
            ms += (c - 48) * scale;
            scale /= 10;
            c = t.charCodeAt(++i);
          }
        }
        if (c !== COMMA || t.charCodeAt(i + 1) !== QUOTE || ms > Number.MAX_SAFE_INTEGER) return undefined;
        const start = i + 2;
        const end = t.indexOf('"', start);
        if (end < 0) return undefined;
        const value = sampleValue(t.slice(start, end));
        if (value === undefined) return undefined;
        values.push([ms, value]);
        i = end + 1;
        if (t.charCodeAt(i) !== CLOSE_BRACKET) return undefined;
        c = t.charCodeAt(++i);
        if (c === COMMA) i++;
        else if (c === CLOSE_BRACKET) break;
        else return undefined;
      }
      // `]}` ends the series (a `"histograms"` key after the values is left to the JSON path).
      if (t.charCodeAt(i + 1) !== CLOSE_BRACE) return undefined;
      result.push({ metric, values, histograms: [] });
      i += 2;
      const c = t.charCodeAt(i);
      if (c === COMMA) i++;
      else if (c === CLOSE_BRACKET) break;
      else return undefined;
    }
  }
  // What follows the result array (data.stats, warnings, infos) is small: JSON.parse it with an empty result.
  let rest: ScannedMatrix['rest'];
  try {
    rest = JSON.parse(`${PREFIX}${t.slice(i)}`);
  } catch {
    return undefined;
  }
  return { result, rest };
}
