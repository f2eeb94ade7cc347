import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/codec/value';
import { FeatureStore } from '../../src/feature-store';
import { feastPythonJson, feastRepo } from '../support/platform';

const pythonOnline = readFileSync(new URL('./python-online.py', import.meta.url), 'utf8');

interface PythonResponse {
  feature_names: string[];
  results: Array<{ values: string[]; statuses: string[]; timestamps: Array<[number, number]> }>;
}

function python(
  features: string[],
  entityRows: Array<Record<string, unknown>>,
  fullFeatureNames = true,
): PythonResponse {
  return feastPythonJson<PythonResponse>(pythonOnline, {
    repo: feastRepo,
    features,
    entity_rows: entityRows,
    full_feature_names: fullFeatureNames,
  });
}

const store = new FeatureStore({ repoPath: feastRepo, statuses: 'feast' });
afterAll(() => store.close());

const drivers = [1001, 1002, 1003, 1007, 1010, 999_999, 1001];
const customers = ['C001', 'C002', 'C010', 'nobody'];

/** Compares our answer with Feast Python's for the same request: names, values, statuses, timestamps. */
async function expectSameAsPython(features: string[], entityRows: Array<Record<string, string | number>>) {
  const reference = python(features, entityRows);
  const ours = await store.getOnlineFeatures({ features, entityRows, fullFeatureNames: true });
  // Feast Python groups a view's features in a Python set, so their order follows string hashing and changes
  // from one process to the next (PYTHONHASHSEED). We keep the order asked for; the columns are compared by name.
  expect([...ours.featureNames].sort()).toEqual([...reference.feature_names].sort());
  expect(ours.featureNames).toEqual([
    ...Object.keys(entityRows[0]!),
    ...features.map((ref) => ref.replace(':', '__')),
  ]);
  const joinKeys = new Set(Object.keys(entityRows[0]!));
  for (const [i, name] of reference.feature_names.entries()) {
    const expected = reference.results[i]!;
    const column = ours.columns[name]!;
    expect(column.statuses, `statuses of ${name}`).toEqual(expected.statuses);
    if (joinKeys.has(name)) continue;
    const expectedValues = expected.values.map((b64) =>
      decodeValue(new Uint8Array(Buffer.from(b64, 'base64'))),
    );
    expect(column.values, `values of ${name}`).toEqual(expectedValues);
    const expectedTimes = expected.timestamps.map(([s, n]) =>
      new Date(s * 1000 + Math.floor(n / 1e6)).toISOString(),
    );
    expect(
      column.eventTimestamps.map((d) => d?.toISOString()),
      `timestamps of ${name}`,
    ).toEqual(expectedTimes);
  }
  return ours;
}

describe('getOnlineFeatures straight from Redis equals Feast Python', { timeout: 120_000 }, () => {
  it('for every value type Feast stores (driver_all_types), known and unknown drivers, a duplicate row', async () => {
    const view = await store.getFeatureView('driver_all_types');
    const features = view.features.map((f) => `driver_all_types:${f.name}`);
    const ours = await expectSameAsPython(
      features,
      drivers.map((driver_id) => ({ driver_id })),
    );
    expect(ours.rowCount).toBe(drivers.length);
  });

  it('for several views at once, and a string-keyed view', async () => {
    await expectSameAsPython(
      ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips', 'driver_all_types:string_val'],
      drivers.map((driver_id) => ({ driver_id })),
    );
    const profile = await store.getFeatureView('customer_profile');
    await expectSameAsPython(
      profile.features.map((f) => `customer_profile:${f.name}`),
      customers.map((customer_id) => ({ customer_id })),
    );
  });

  it('for a composite key (driver × customer)', async () => {
    const views = await store.listFeatureViews();
    const composite = views.find((v) => v.entityColumns.length === 2)!;
    expect(composite).toBeDefined();
    const rows = [
      { driver_id: 1001, customer_id: 'C001' },
      { driver_id: 1002, customer_id: 'C003' },
      { driver_id: 1001, customer_id: 'nobody' },
    ];
    await expectSameAsPython(
      composite.features.map((f) => `${composite.name}:${f.name}`),
      rows,
    );
  });
});
