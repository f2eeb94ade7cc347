import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ValueType } from '../../src/codec/value-type';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import {
  type OnlineFeaturesRequest,
  OnlinePlanCache,
  planOnlineRequest,
} from '../../src/online/request-plan';
import { RegistrySnapshot } from '../../src/registry/registry';

const project = 'p';
const view = (name: string, features: string[], entityColumns: Array<[string, number]>) => ({
  spec: {
    name,
    project,
    entities: entityColumns.map(([n]) => n.replace('_id', '')),
    features: features.map((f) => ({ name: f, valueType: ValueType.DOUBLE })),
    entityColumns: entityColumns.map(([n, t]) => ({ name: n, valueType: t })),
    online: true,
  },
});
const registry = (extra: string[] = []) =>
  new RegistrySnapshot(
    create(RegistrySchema, {
      featureViews: [
        view('a', ['x', 'y', ...extra], [['driver_id', ValueType.INT64]]),
        view('b', ['x'], [['driver_id', ValueType.INT64]]),
        view(
          'c',
          ['z'],
          [
            ['user_id', ValueType.STRING],
            ['item_id', ValueType.INT64],
          ],
        ),
        view('global', ['count'], []),
      ],
    }),
    project,
  );
const options = { project, entityKeySerializationVersion: 3 as const };

/** What the cache returns, in the form planOnlineRequest reports it: keys (hex) and row → key per view. */
function keysOf(plan: { keys: Uint8Array[][]; rowKeys: Int32Array[] }) {
  return plan.keys.map((keys, g) => ({
    keys: keys.map((k) => Buffer.from(k).toString('hex')),
    rowKey: [...plan.rowKeys[g]!],
  }));
}
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
  return 'no error';
}

describe('the plan cache', () => {
  const snapshot = registry();
  const requests: OnlineFeaturesRequest[] = [
    {
      features: ['a:x', 'b:x', 'global:count'],
      entities: { driver_id: [1, 2, 1, 1n, -5, 2n ** 62n] },
      fullFeatureNames: true,
    },
    { features: ['a:y'], entityRows: [{ driver_id: 7 }] },
    {
      features: ['c:z'],
      entityRows: [
        { user_id: 'u1', item_id: 3 },
        { user_id: 'ü', item_id: 3n },
        { user_id: 'u1', item_id: 3 },
      ],
    },
    { features: ['c:z'], entities: { item_id: [3, 4], user_id: ['u1', 'u2'] } },
  ];

  it('plans a known shape exactly as a fresh plan does, on every call', () => {
    const cache = new OnlinePlanCache(options);
    for (let round = 0; round < 3; round++) {
      for (const request of requests) {
        const fresh = planOnlineRequest(snapshot, request, options);
        const cached = cache.plan(snapshot, request);
        expect(cached.shape.names).toEqual(fresh.shape.names);
        expect(cached.rowCount).toBe(fresh.rowCount);
        expect(cached.columnValues).toEqual(fresh.entityColumns.map((c) => c.values));
        expect(keysOf(cached)).toEqual(keysOf(fresh));
      }
    }
  });

  it('checks the values of every call, with the error a fresh plan gives', () => {
    const cache = new OnlinePlanCache(options);
    const features = ['a:x', 'c:z'];
    cache.plan(snapshot, { features, entityRows: [{ driver_id: 1, user_id: 'u', item_id: 2 }] });
    const bad: OnlineFeaturesRequest[] = [
      {
        features,
        entityRows: [
          { driver_id: 1, user_id: 'u', item_id: 2 },
          { driver_id: '2', user_id: 'u', item_id: 2 },
        ],
      },
      {
        features,
        entityRows: [
          { driver_id: 1, user_id: 'u', item_id: 2 },
          { driver_id: 2, user_id: 'u' },
        ],
      },
      { features, entityRows: [{ driver_id: 1, user_id: '\ud800', item_id: 2 }] },
      { features, entityRows: [{ driver_id: 1.5, user_id: 'u', item_id: 2 ** 63 }] },
      { features, entityRows: [{ driver_id: 1, user_id: 'u', item_id: 2, extra: 1 }] },
      { features, entities: { driver_id: [1, 2], user_id: ['u'], item_id: [2, 3] } },
      { features, entityRows: [{ driver_id: 1, user_id: 'u', item_id: 2 }], entities: { driver_id: [1] } },
    ];
    for (const request of bad) {
      const expected = errorOf(() => planOnlineRequest(snapshot, request, options));
      expect(expected).not.toBe('no error');
      expect(errorOf(() => cache.plan(snapshot, request))).toBe(expected);
    }
  });

  it('follows a features array changed in place, and a new registry snapshot', () => {
    const cache = new OnlinePlanCache(options);
    const features = ['a:x'];
    const request = { features, entities: { driver_id: [1] }, fullFeatureNames: true };
    expect(cache.plan(snapshot, request).shape.names).toEqual(['driver_id', 'a__x']);
    features.push('a:y');
    expect(cache.plan(snapshot, request).shape.names).toEqual(['driver_id', 'a__x', 'a__y']);
    features.push('a:w');
    expect(errorOf(() => cache.plan(snapshot, request))).toMatch(/FeastObjectNotFoundError/);
    const next = registry(['w']);
    expect(cache.plan(next, request).shape.names).toEqual(['driver_id', 'a__x', 'a__y', 'a__w']);
    expect(cache.plan(next, { ...request, fullFeatureNames: false }).shape.names).toEqual([
      'driver_id',
      'x',
      'y',
      'w',
    ]);
  });
});
