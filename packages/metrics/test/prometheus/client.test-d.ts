import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '../../src/generated/prometheus';
import {
  type FloatSample,
  type HistogramSample,
  type MatrixResult,
  PrometheusClient,
  type QueryResult,
  type RangeSeries,
} from '../../src/index';

const prometheus = new PrometheusClient({ url: 'http://prometheus.test:9090' });

describe('PrometheusClient results', () => {
  it('query resolves to a union discriminated by resultType', async () => {
    const result = await prometheus.query('up', { time: new Date() });
    expectTypeOf(result).toEqualTypeOf<QueryResult>();
    if (result.resultType === 'vector') {
      const [first] = result.result;
      if (first?.value) expectTypeOf(first.value).toEqualTypeOf<FloatSample>();
      if (first?.histogram) expectTypeOf(first.histogram).toEqualTypeOf<HistogramSample>();
    }
    if (result.resultType === 'scalar')
      expectTypeOf(result.result).toEqualTypeOf<[timeMs: number, value: number]>();
    if (result.resultType === 'string') expectTypeOf(result.result[1]).toEqualTypeOf<string>();
    expectTypeOf(result.warnings).toEqualTypeOf<string[]>();
  });

  it('queryRange resolves to a matrix with toArrow()', () => {
    const range = prometheus.queryRange('up', { start: 0, end: Date.now(), step: '15s' });
    expectTypeOf(range).resolves.toEqualTypeOf<MatrixResult>();
    expectTypeOf<MatrixResult['result'][number]>().toEqualTypeOf<RangeSeries>();
    expectTypeOf<ReturnType<MatrixResult['toArrow']>>().resolves.toHaveProperty('numRows');
  });

  it('start, end and step are required for a range; options are checked', () => {
    // @ts-expect-error step is required
    prometheus.queryRange('up', { start: 0, end: 1 });
    // @ts-expect-error state is one of active, dropped, any
    prometheus.targets({ state: 'up' });
    // @ts-expect-error rules type is alert or record
    prometheus.rules({ type: 'alerting' });
  });

  it('status calls resolve to the generated types, as they are', () => {
    expectTypeOf(prometheus.targets()).resolves.toEqualTypeOf<components['schemas']['TargetDiscovery']>();
    expectTypeOf(prometheus.rules()).resolves.toEqualTypeOf<components['schemas']['RuleDiscovery']>();
    expectTypeOf(prometheus.alerts()).resolves.toEqualTypeOf<components['schemas']['Alert'][]>();
    expectTypeOf(prometheus.buildInfo()).resolves.toEqualTypeOf<components['schemas']['BuildInfo']>();
    expectTypeOf(prometheus.series('up'))
      .resolves.toHaveProperty('data')
      .toEqualTypeOf<Record<string, string>[]>();
    expectTypeOf(prometheus.labelValues('job')).resolves.toHaveProperty('data').toEqualTypeOf<string[]>();
  });

  it('a rule narrows on type', async () => {
    const { groups } = await prometheus.rules();
    const rule = groups[0]!.rules[0]!;
    if (rule.type === 'alerting')
      expectTypeOf(rule.alerts).toEqualTypeOf<components['schemas']['Alert'][] | null>();
    else expectTypeOf(rule.type).toEqualTypeOf<'recording'>();
  });
});
