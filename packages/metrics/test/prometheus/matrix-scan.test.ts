// The range-answer scanner (src/prometheus/matrix-scan.ts) against the JSON.parse path, on random matrices written
// the way Prometheus writes them: same series, labels, times and values (NaN, ±Inf, exponents included), and it
// gives up — never guesses — on anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSeries, matrixFromText } from '../../src/prometheus/decode';
import { scanMatrix } from '../../src/prometheus/matrix-scan';

const context = { source: 'test' };

/** Milliseconds as Prometheus writes seconds: `1700000000`, `1700000000.5`, `1700000000.123`. */
function seconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = ms % 1000;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}
const valueText = fc.oneof(
  fc.constantFrom('NaN', '+Inf', '-Inf', '0', '-0', '1e+00', '1.5e-07'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer().map(String),
);
const labels = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  { maxKeys: 4 },
);
const series = fc.record({
  metric: labels,
  values: fc.array(fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), valueText), {
    minLength: 1,
    maxLength: 6,
  }),
});
const body = (result: { metric: Record<string, string>; values: [number, string][] }[], tail = '') =>
  `{"status":"success","data":{"resultType":"matrix","result":[${result
    .map(
      (s) =>
        `{"metric":${JSON.stringify(s.metric)},"values":[${s.values.map(([t, v]) => `[${seconds(t)},"${v}"]`).join(',')}]}`,
    )
    .join(',')}]}${tail}}`;

describe('scanMatrix', () => {
  it('reads what JSON.parse reads, for any matrix Prometheus can write', () => {
    fc.assert(
      fc.property(
        fc.array(series, { maxLength: 5 }),
        fc.array(fc.string(), { maxLength: 2 }),
        (result, warnings) => {
          const tail = warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : '';
          const text = body(result, tail);
          const scanned = scanMatrix(text);
          expect(scanned).toBeDefined();
          const parsed = JSON.parse(text);
          expect(scanned!.result).toEqual(decodeSeries(parsed.data.result, context));
          expect(scanned!.rest.warnings ?? []).toEqual(warnings);
          const times = scanned!.result.flatMap((s) => s.values.map(([t]) => t));
          expect(times).toEqual(result.flatMap((s) => s.values.map(([t]) => t)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps stats, warnings and infos that follow the result', () => {
    const text =
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1.5,"2"]]}],"stats":{"timings":{"evalTotalTime":0.1}}},"warnings":["w"],"infos":["i"]}';
    const result = matrixFromText(text, context);
    expect(result).toMatchObject({
      result: [{ metric: { a: 'b' }, values: [[1500, 2]], histograms: [] }],
      stats: { timings: { evalTotalTime: 0.1 } },
      warnings: ['w'],
      infos: ['i'],
    });
  });

  it('gives up on what it does not read, and the JSON path answers the same', () => {
    const cases = [
      // a series with histograms
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]],"histograms":[[2,{"count":"3","sum":"4","buckets":[[0,"1","2","3"]]}]]}]}}',
      // whitespace
      '{"status": "success","data":{"resultType":"matrix","result":[]}}',
      // more than millisecond precision, an exponent in a time
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.0001,"1"]]}]}}',
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e3,"1"]]}]}}',
    ];
    for (const text of cases) {
      expect(scanMatrix(text)).toBeUndefined();
      const parsed = JSON.parse(text);
      expect(matrixFromText(text, context).result).toEqual(decodeSeries(parsed.data.result, context));
    }
  });

  it('an empty matrix scans to no series', () => {
    expect(scanMatrix('{"status":"success","data":{"resultType":"matrix","result":[]}}')?.result).toEqual([]);
  });

  it('a value that is not a number fails on the JSON path with the field', () => {
    const text =
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}';
    expect(scanMatrix(text)).toBeUndefined();
    expect(() => matrixFromText(text, context)).toThrow('the value "x" at data.result[0].values[0]');
  });
});
