import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Bool, Float32, Float64, Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDriftMonitor, type FeatureDrift, type Profile, profileFrom } from '../src/index';

/** numpy/scipy live in the platform's MLflow venv (installed by platform/lib/mlflow.sh through uv). */
const python = resolve(import.meta.dirname, '../../../platform/.state/venvs/mlflow/bin/python');
const script = resolve(import.meta.dirname, 'support/drift_reference.py');

/** A seeded PRNG (mulberry32), so both sides see the same data on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const CITIES = ['Lyon', 'Paris', 'Lille', 'Nantes', 'Brest', 'Metz', 'Nice'];

/** Rows of the four features and the score, `shift` moving the live distribution away from training. */
function rows(n: number, seed: number, shift: number) {
  const random = rng(seed);
  const out = {
    amount: [] as Array<number | null>,
    trips: [] as Array<bigint | null>,
    city: [] as Array<string | null>,
    vip: [] as Array<boolean | null>,
    score: [] as number[],
  };
  for (let i = 0; i < n; i++) {
    out.amount.push(
      random() < 0.05 + shift / 10 ? null : 40 + 12 * (1 + shift / 2) * gaussian(random) + 15 * shift,
    );
    out.trips.push(random() < 0.02 ? null : BigInt(Math.floor(-Math.log(1 - random()) * (3 + 2 * shift))));
    const c = Math.min(CITIES.length - 1, Math.floor(random() ** (1 + shift) * (shift > 0 ? 7 : 6)));
    out.city.push(random() < 0.03 ? null : CITIES[c]!);
    out.vip.push(random() < 0.01 ? null : random() < 0.2 + shift / 5);
    out.score.push(Math.fround(Math.min(1, Math.max(0, 0.3 + 0.15 * gaussian(random) + shift / 5))));
  }
  return out;
}

function table(data: ReturnType<typeof rows>): Table {
  return new Table({
    amount: vectorFromArray(data.amount, new Float64()),
    trips: vectorFromArray(data.trips, new Int64()),
    city: vectorFromArray(data.city, new Utf8()),
    vip: vectorFromArray(data.vip, new Bool()),
    score: vectorFromArray(data.score, new Float32()),
  });
}

interface Reference {
  profile: Record<string, number | number[] | string[]>;
  drift: Omit<FeatureDrift, 'feature'>;
}

function reference(input: unknown): Record<string, Reference> {
  if (!existsSync(python))
    throw new Error(
      `numpy/scipy are not installed: ${python} is missing. Install the platform's MLflow venv with: pnpm platform up mlflow`,
    );
  const result = spawnSync(python, [script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0)
    throw new Error(`the numpy/scipy reference failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, Reference>;
}

const WINDOW = 1000;
let profile: Profile;
let snapshot: FeatureDrift[];
let expected: Record<string, Reference>;

beforeAll(() => {
  const train = rows(20_000, 7, 0);
  const live = rows(2_600, 11, 0.6);
  profile = profileFrom(table(train), { exclude: [] });
  const monitor = createDriftMonitor({ profile, window: WINDOW, prediction: 'score' });
  for (let i = 0; i < live.score.length; i++)
    monitor.observe(
      { amount: live.amount[i], trips: live.trips[i], city: live.city[i], vip: live.vip[i] },
      live.score[i],
    );
  snapshot = monitor.snapshot();
  const last = <T>(values: T[]) => values.slice(-WINDOW);
  const num = (values: Array<number | bigint | null>) => values.map((v) => (v === null ? null : Number(v)));
  const str = (values: Array<string | boolean | null>) => values.map((v) => (v === null ? null : String(v)));
  expected = reference({
    bins: 10,
    quantiles: 101,
    maxCategories: 50,
    features: {
      amount: { kind: 'numeric', train: num(train.amount), live: last(num(live.amount)) },
      trips: { kind: 'numeric', train: num(train.trips), live: last(num(live.trips)) },
      city: { kind: 'categorical', train: str(train.city), live: last(str(live.city)) },
      vip: { kind: 'categorical', train: str(train.vip), live: last(str(live.vip)) },
      score: { kind: 'numeric', train: train.score, live: last(live.score) },
    },
  });
}, 60_000);

describe('profileFrom and the drift monitor, against numpy/scipy on the same data', () => {
  it('profiles each feature as numpy does: missing rate, quantile bins and frequencies, categories', () => {
    expect(profile.rows).toBe(20_000);
    expect(profile.features.map((f) => [f.name, f.kind, f.type])).toEqual([
      ['amount', 'numeric', 'Float64'],
      ['trips', 'numeric', 'Int64'],
      ['city', 'categorical', 'Utf8'],
      ['vip', 'categorical', 'Bool'],
      ['score', 'numeric', 'Float32'],
    ]);
    for (const feature of profile.features) {
      const want = expected[feature.name]!.profile;
      for (const [key, value] of Object.entries(want)) {
        const got: unknown = Object.entries(feature).find(([k]) => k === key)?.[1];
        if (Array.isArray(value) && typeof value[0] === 'number') {
          expect((got as number[]).length, `${feature.name}.${key}`).toBe(value.length);
          for (const [i, v] of (value as number[]).entries())
            expect((got as number[])[i], `${feature.name}.${key}[${i}]`).toBeCloseTo(v, 10);
        } else if (typeof value === 'number') expect(got, `${feature.name}.${key}`).toBeCloseTo(value, 12);
        else expect(got, `${feature.name}.${key}`).toEqual(value);
      }
    }
    // Trips are small integers: the ties merge quantile edges, as numpy's do.
    const trips = profile.features.find((f) => f.name === 'trips');
    expect(trips?.kind === 'numeric' && trips.edges.length).toBeLessThan(9);
    expect(JSON.stringify(profile).length).toBeLessThan(12_000);
  });

  it('computes missing rate, out-of-range rate, PSI and KS over the last window as numpy/scipy do', () => {
    expect(snapshot.map((s) => s.feature)).toEqual(['amount', 'trips', 'city', 'vip', 'score']);
    for (const got of snapshot) {
      const want = expected[got.feature]!.drift;
      expect(got.observations, got.feature).toBe(WINDOW);
      expect(got.missingRate, `${got.feature} missing`).toBeCloseTo(want.missingRate, 12);
      expect(got.outOfRangeRate, `${got.feature} out of range`).toBeCloseTo(want.outOfRangeRate, 12);
      expect(got.psi, `${got.feature} psi`).toBeCloseTo(want.psi ?? Number.NaN, 10);
      if (want.ks === undefined) expect(got.ks, `${got.feature} ks`).toBeUndefined();
      else expect(got.ks, `${got.feature} ks`).toBeCloseTo(want.ks, 10);
    }
    // The live data did drift: the test would not notice a monitor that always says 0.
    expect(snapshot.find((s) => s.feature === 'amount')!.psi).toBeGreaterThan(0.2);
    expect(snapshot.find((s) => s.feature === 'amount')!.outOfRangeRate).toBeGreaterThan(0);
  });
});
