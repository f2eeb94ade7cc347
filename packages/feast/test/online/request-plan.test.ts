import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { deserializeEntityKey } from '../../src/codec/entity-key';
import { ValueType } from '../../src/codec/value-type';
import { InvalidFeatureRequestError } from '../../src/errors';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import { planOnlineRequest } from '../../src/online/request-plan';
import { RegistrySnapshot } from '../../src/registry/registry';

const project = 'p';
const spec = (name: string, features: string[], entityColumns: Array<[string, number]>) => ({
  spec: {
    name,
    project,
    entities: entityColumns.map(([n]) => n.replace('_id', '')),
    features: features.map((f) => ({ name: f, valueType: ValueType.DOUBLE })),
    entityColumns: entityColumns.map(([n, t]) => ({ name: n, valueType: t })),
    online: true,
  },
});
const snapshot = new RegistrySnapshot(
  create(RegistrySchema, {
    featureViews: [
      spec('a', ['x', 'y'], [['driver_id', ValueType.INT64]]),
      spec('b', ['x'], [['driver_id', ValueType.INT64]]),
      spec(
        'c',
        ['z'],
        [
          ['user_id', ValueType.STRING],
          ['item_id', ValueType.INT64],
        ],
      ),
      spec('global', ['count'], []),
    ],
    featureServices: [
      {
        spec: {
          name: 'svc',
          project,
          features: [
            {
              featureViewName: 'a',
              featureViewNameAlias: 'a2',
              featureColumns: [{ name: 'y', valueType: ValueType.DOUBLE }],
              joinKeyMap: { driver_id: 'rider_id' },
            },
          ],
        },
      },
    ],
  }),
  project,
);
const plan = (request: Parameters<typeof planOnlineRequest>[1]) =>
  planOnlineRequest(snapshot, request, { project, entityKeySerializationVersion: 3 });

describe('planning an online request', () => {
  it('reads each distinct entity once and maps rows to it', () => {
    const p = plan({ features: ['a:x'], entities: { driver_id: [1, 2, 1, 1n] } });
    expect(p.views[0]!.keys).toHaveLength(2);
    expect([...p.views[0]!.rowKey]).toEqual([0, 1, 0, 0]);
  });

  it('asks for full feature names when two columns would share a name', () => {
    expect(() => plan({ features: ['a:x', 'b:x'], entityRows: [{ driver_id: 1 }] })).toThrow(
      'Two requested columns would both be called x (a:x and b:x); pass fullFeatureNames: true.',
    );
    expect(
      plan({ features: ['a:x', 'b:x'], entityRows: [{ driver_id: 1 }], fullFeatureNames: true }).views.map(
        (v) => v.outputNames,
      ),
    ).toEqual([['a__x'], ['b__x']]);
  });

  it('builds composite keys with join keys sorted, whatever the request order', () => {
    const p = plan({ features: ['c:z'], entityRows: [{ item_id: 7, user_id: 'u1' }] });
    const key = p.views[0]!.keys[0]!;
    const parts = deserializeEntityKey(key.subarray(0, key.length - project.length));
    expect(parts.map((part) => part.joinKey)).toEqual(['item_id', 'user_id']);
  });

  it('uses the dummy key for entity-less views, for every row', () => {
    const p = plan({ features: ['global:count', 'a:x'], entityRows: [{ driver_id: 1 }, { driver_id: 2 }] });
    const global = p.views[0]!;
    expect(global.keys).toHaveLength(1);
    expect([...global.rowKey]).toEqual([0, 0]);
  });

  it("follows a feature service's alias and join key map", () => {
    const p = plan({ featureService: 'svc', entityRows: [{ rider_id: 5 }], fullFeatureNames: true });
    expect(p.views[0]!.outputNames).toEqual(['a2__y']);
    expect(p.views[0]!.joinKeys).toEqual([
      { requestKey: 'rider_id', joinKey: 'driver_id', valueType: ValueType.INT64 },
    ]);
    // The Redis field is hashed from the view's own name, never the alias.
    expect(p.views[0]!.view.name).toBe('a');
  });

  it('refuses ragged columns, mixed rows and empty requests', () => {
    expect(() => plan({ features: ['c:z'], entities: { user_id: ['a', 'b'], item_id: [1] } })).toThrow(
      InvalidFeatureRequestError,
    );
    expect(() =>
      plan({ features: ['c:z'], entityRows: [{ user_id: 'a', item_id: 1 }, { user_id: 'b' }] }),
    ).toThrow('Entity row 1 has no item_id, which other rows have');
    expect(() => plan({ features: [], entityRows: [] })).toThrow('Ask for at least one feature');
    expect(() => plan({ features: ['a.x'], entityRows: [] })).toThrow('is not "<feature view>:<feature>"');
    expect(() => plan({ features: ['a:x'], featureService: 'svc', entityRows: [] })).toThrow('not both');
  });
});
