// Real hashes of the running platform's Redis, decoded with our codecs, against what Feast's own
// FeatureStore.get_online_features returns for the same entities (every value type is in driver_all_types and
// driver_extended_types).
import { fromBinary } from '@bufbuild/protobuf';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTimestamp,
  decodeValue,
  type EntityKeyPart,
  type EntityKeyValueType,
  featureFieldName,
  redisKey,
  timestampFieldName,
} from '../../src/codec';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import { type Canon, mismatch, readRegistryFile, runFeastPython, describe as show } from './helpers';

const PROJECT = 'mlops_demo';
const registry = fromBinary(RegistrySchema, readRegistryFile());
const views = registry.featureViews
  .map((v) => v.spec)
  .filter((s): s is NonNullable<typeof s> => s?.project === PROJECT && s.online === true);

const drivers = [...Array.from({ length: 10 }, (_, i) => 1001 + i), 4242];
const customers = [...Array.from({ length: 10 }, (_, i) => `C${String(i + 1).padStart(3, '0')}`), 'C999'];
/** Entity rows per view: every seeded entity, plus one that does not exist. */
function rowsOf(joinKeys: string[]): Record<string, number | string>[] {
  if (joinKeys.length === 2) {
    return drivers
      .slice(0, 5)
      .flatMap((d) => customers.slice(0, 4).map((c) => ({ driver_id: d, customer_id: c })))
      .concat([{ driver_id: 4242, customer_id: 'C001' }]);
  }
  return joinKeys[0] === 'driver_id'
    ? drivers.map((d) => ({ driver_id: d }))
    : customers.map((c) => ({ customer_id: c }));
}

interface Column {
  values: Canon[];
  timestamps: [string, number][];
}
let python: { feast: string; responses: Record<string, Column>[] };
let redis: Redis;

beforeAll(async () => {
  redis = new Redis({
    host: '127.0.0.1',
    port: 6379,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
  } catch (cause) {
    throw new Error(
      'Redis is not running on 127.0.0.1:6379: start the platform with `pnpm platform up feast`.',
      { cause },
    );
  }
  python = runFeastPython(['packages/feast/test/codec/feast_crosscheck.py'], {
    mode: 'online',
    repo: 'platform/feast',
    requests: views.map((view) => ({
      features: view.features.map((f) => `${view.name}:${f.name}`),
      entity_rows: rowsOf(view.entityColumns.map((c) => c.name)),
    })),
  });
}, 240_000);

afterAll(async () => {
  redis?.disconnect();
});

describe('real Redis hashes decode to what Feast get_online_features returns', () => {
  it('covers the feature views of the platform repo', () => {
    expect(python.feast).toBe('0.67.0');
    expect(views.map((v) => v.name).sort()).toEqual([
      'customer_profile',
      'driver_all_types',
      'driver_customer_stats',
      'driver_extended_types',
      'driver_hourly_stats',
    ]);
  });

  it.each(views.map((v, i) => [v.name, i] as const))(
    '%s: every feature and its event timestamp',
    async (name, index) => {
      const view = views[index] as (typeof views)[number];
      const response = python.responses[index] as Record<string, Column>;
      const rows = rowsOf(view.entityColumns.map((c) => c.name));
      const fields = [
        ...view.features.map((f) => Buffer.from(featureFieldName(name, f.name))),
        Buffer.from(timestampFieldName(name)),
      ];
      let present = 0;
      for (const [r, row] of rows.entries()) {
        const parts: EntityKeyPart[] = view.entityColumns.map((c) => ({
          joinKey: c.name,
          valueType: c.valueType as EntityKeyValueType,
          value: typeof row[c.name] === 'number' ? BigInt(row[c.name] as number) : (row[c.name] as string),
        }));
        const key = Buffer.from(redisKey(parts, PROJECT));
        const replies = await redis.hmgetBuffer(key, ...fields);
        const ts = decodeTimestamp(replies[fields.length - 1] ?? new Uint8Array(0), {
          source: `redis ${show(row)}`,
          field: `_ts:${name}`,
        });
        view.features.forEach((feature, f) => {
          const column = response[`${name}__${feature.name}`] as Column;
          const bytes = replies[f] ?? null;
          const ours =
            bytes === null ? null : decodeValue(bytes, { source: `redis ${show(row)}`, field: feature.name });
          if (ours !== null) present++;
          const problem = mismatch(column.values[r], ours);
          expect(problem, `${name}:${feature.name} ${show(row)}: ${problem}`).toBeNull();
          const [seconds, nanos] = column.timestamps[r] as [string, number];
          expect({ seconds: ts.seconds, nanos: ts.nanos }, `${name} _ts ${show(row)}`).toEqual({
            seconds: BigInt(seconds),
            nanos,
          });
        });
      }
      expect(present).toBeGreaterThan(0);
    },
  );
});
