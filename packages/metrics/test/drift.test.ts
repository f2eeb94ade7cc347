import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDriftMonitor, MetricsInputError, type Profile, PSI_EPSILON, profileFrom } from '../src/index';

/** Training values 0, 1, …, 1000: every percentile is an integer, the reference CDF is x/1000. */
const uniform = profileFrom(
  new Table({
    x: vectorFromArray(
      Array.from({ length: 1001 }, (_, i) => i),
      new Float64(),
    ),
    color: vectorFromArray(
      Array.from({ length: 1001 }, (_, i) => (i % 4 === 0 ? 'red' : 'blue')),
      new Utf8(),
    ),
  }),
  { bins: 2 },
);

function errorOf(call: () => unknown): MetricsInputError {
  try {
    call();
  } catch (error) {
    if (MetricsInputError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a MetricsInputError');
}

describe('drift statistics in closed form', () => {
  it('profiles 0..1000 into two bins at the median, percentiles on the integers', () => {
    const [x, color] = uniform.features;
    expect(x).toMatchObject({ kind: 'numeric', min: 0, max: 1000, edges: [500], missingRate: 0 });
    expect(x?.kind === 'numeric' && x.frequencies).toEqual([501 / 1001, 500 / 1001]);
    expect(x?.kind === 'numeric' && x.quantiles.slice(0, 3)).toEqual([0, 10, 20]);
    expect(color).toEqual({
      name: 'color',
      kind: 'categorical',
      type: 'Utf8',
      missingRate: 0,
      categories: ['blue', 'red'],
      frequencies: [750 / 1001, 251 / 1001],
      otherFrequency: 0,
    });
  });

  it('KS of one value at the median is 1/2; PSI of a window all in one bin is the formula', () => {
    const monitor = createDriftMonitor({ profile: uniform, window: 4 });
    monitor.observe({ x: 500, color: 'green' });
    const [x, color] = monitor.snapshot();
    expect(x?.ks).toBe(0.5);
    const [e0, e1] = [501 / 1001, 500 / 1001];
    expect(x?.psi).toBeCloseTo(
      (1 - e0) * Math.log(1 / e0) + (PSI_EPSILON - e1) * Math.log(PSI_EPSILON / e1),
      14,
    );
    // 'green' was never seen in training, and the profile lists every training category.
    expect(color).toMatchObject({ outOfRangeRate: 1, ks: undefined });
  });

  it('keeps only the last `window` observations', () => {
    const monitor = createDriftMonitor({ profile: uniform, window: 3 });
    for (const x of [null, -5, 2000, 10, 20, undefined]) monitor.observe({ x, color: 'red' });
    const [x] = monitor.snapshot();
    // Window: 10, 20, undefined. The missing and out-of-range values before it have left.
    expect(x).toMatchObject({ observations: 3, missingRate: 1 / 3, outOfRangeRate: 0 });
    expect(x?.ks).toBeCloseTo(0.98, 14);
  });

  it('exports the gauges per feature, with constant labels, through the registry', async () => {
    const registry = new Registry();
    const monitor = createDriftMonitor({
      profile: uniform,
      registry,
      window: 10,
      labels: { model_name: 'm' },
    });
    expect(await registry.metrics()).not.toContain('feature="x"');
    for (const x of [100, 200, 300, 400, null]) monitor.observe({ x, color: 'red' });
    const text = await registry.metrics();
    expect(text).toContain('mlops_drift_window_observations{feature="x",model_name="m"} 5\n');
    expect(text).toContain('mlops_drift_missing_rate{feature="x",model_name="m"} 0.2\n');
    expect(text).toContain('mlops_drift_ks_statistic{feature="x",model_name="m"} 0.6\n');
    expect(text).not.toContain('mlops_drift_ks_statistic{feature="color"');
    expect(text).toContain('mlops_drift_out_of_range_rate{feature="color",model_name="m"} 0\n');
  });

  it('several monitors share one registry, told apart by their labels', async () => {
    const registry = new Registry();
    const churn = createDriftMonitor({ profile: uniform, registry, labels: { model_name: 'churn' } });
    const fraud = createDriftMonitor({ profile: uniform, registry, labels: { model_name: 'fraud' } });
    churn.observe({ x: 1, color: 'red' });
    fraud.observe({ x: null, color: 'red' });
    const text = await registry.metrics();
    expect(text).toContain('mlops_drift_missing_rate{feature="x",model_name="churn"} 0\n');
    expect(text).toContain('mlops_drift_missing_rate{feature="x",model_name="fraud"} 1\n');
    expect(
      errorOf(() => createDriftMonitor({ profile: uniform, registry, labels: { model_name: 'churn' } }))
        .message,
    ).toContain('tell the monitors apart with labels');
    expect(errorOf(() => createDriftMonitor({ profile: uniform, registry })).message).toContain(
      'the same label names',
    );
    // Another prefix is another set of gauges.
    createDriftMonitor({ profile: uniform, registry, prefix: 'shadow_' }).observe({ x: 2, color: 'blue' });
    expect(await registry.metrics()).toContain('shadow_drift_window_observations{feature="x"} 1\n');
  });

  it('the profile survives JSON, and a damaged one is refused naming the field', () => {
    const parsed = JSON.parse(JSON.stringify(uniform)) as Profile;
    expect(createDriftMonitor({ profile: parsed }).snapshot()).toEqual([]);
    const broken = JSON.parse(JSON.stringify(uniform)) as Profile;
    (broken.features[0] as { frequencies: number[] }).frequencies.pop();
    expect(errorOf(() => createDriftMonitor({ profile: broken })).input).toBe(
      'profile.features[0].frequencies',
    );
    expect(errorOf(() => createDriftMonitor({ profile: { ...uniform, version: 2 as 1 } })).input).toBe(
      'profile.version',
    );
  });

  it('refuses bad input with a MetricsInputError that says what to do', () => {
    const monitor = createDriftMonitor({ profile: uniform });
    const cases: Array<[() => unknown, string, string]> = [
      [() => monitor.observe({ x: '3', color: 'red' }), 'features.x', 'Pass a number'],
      [() => monitor.observe({ x: 1, color: {} }), 'features.color', 'Pass a string'],
      [() => createDriftMonitor({ profile: uniform, window: 0 }), 'window', 'whole number'],
      [() => createDriftMonitor({ profile: uniform, prediction: 'y' }), 'prediction', 'has no feature "y"'],
      [() => createDriftMonitor({ profile: uniform, labels: { feature: 'f' } }), 'labels.feature', 'already'],
      [
        () => profileFrom(new Table({ when: vectorFromArray([new Date()]) })),
        'features.when',
        'exclude: ["when"]',
      ],
      [
        () => profileFrom(new Table({ n: vectorFromArray([null, null], new Int32()) })),
        'features.n',
        'every training value is missing',
      ],
      [
        () => profileFrom(new Table({ n: vectorFromArray([1], new Int32()) }), { features: ['m'] }),
        'features.m',
        'has no column "m"',
      ],
      [
        () => profileFrom(new Table({ n: vectorFromArray([1], new Int32()) }), { bins: 1 }),
        'bins',
        'integer ≥ 2',
      ],
    ];
    for (const [call, input, text] of cases) {
      const error = errorOf(call);
      expect(error.input).toBe(input);
      expect(error.message).toContain(text);
    }
  });
});
