import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store';
import { feastRepo } from '../support/platform';

// The hot path (cached request shapes, lazily assembled columns) and auto-pipelining must answer exactly what
// a fresh store answers: the interop tests compare a fresh store's first answers with Feast Python's.
const features = [
  'driver_hourly_stats:conv_rate',
  'driver_hourly_stats:acc_rate',
  'driver_hourly_stats:avg_daily_trips',
] as const;
const stores: FeatureStore[] = [];
const open = (options: ConstructorParameters<typeof FeatureStore>[0] = {}) => {
  const store = new FeatureStore({ repoPath: feastRepo, ...options });
  stores.push(store);
  return store;
};
afterAll(() => Promise.all(stores.map((s) => s.close())));

/** A fresh store per request: no cached shape, nothing assembled lazily before this read. */
async function fresh(request: (typeof requests)[number]) {
  const store = new FeatureStore({ repoPath: feastRepo });
  try {
    const result = await store.getOnlineFeatures(request);
    return { columns: result.columns, dict: result.toDict() };
  } finally {
    await store.close();
  }
}

const requests: Array<{
  features: string[];
  entityRows?: Array<{ driver_id: number }>;
  entities?: { driver_id: Array<number | bigint> };
  fullFeatureNames?: boolean;
}> = [
  { features: [...features], entityRows: [{ driver_id: 1001 }] },
  {
    features: [...features],
    entities: { driver_id: [1001, 1002, 999_999, 1001n, 1003] },
    fullFeatureNames: true,
  },
  { features: [...features].reverse(), entityRows: [{ driver_id: 1002 }, { driver_id: 1002 }] },
];

describe('the hot path answers as a fresh store', () => {
  it('for repeated requests of known shapes, columns read before or after toDict', async () => {
    const store = open();
    for (let round = 0; round < 3; round++) {
      for (const request of requests) {
        const expected = await fresh(request);
        const a = await store.getOnlineFeatures(request);
        expect(a.toDict()).toEqual(expected.dict);
        expect(a.columns).toEqual(expected.columns);
        const b = await store.getOnlineFeatures(request);
        expect(b.columns).toEqual(expected.columns);
        expect(b.toDict()).toEqual(expected.dict);
        expect(b.toObjects()).toHaveLength(request.entityRows?.length ?? 5);
      }
    }
  });

  it('with autoPipelining, for many calls in flight at once', async () => {
    const store = open({ autoPipelining: true });
    const expected = await Promise.all(requests.map((r) => fresh(r)));
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => store.getOnlineFeatures(requests[i % requests.length]!)),
    );
    for (const [i, answer] of answers.entries()) {
      expect(answer.columns).toEqual(expected[i % requests.length]!.columns);
    }
  });

  it('refuses a bad value of a known shape as the first call does', async () => {
    const store = open();
    await store.getOnlineFeatures({ features, entityRows: [{ driver_id: 1001 }] });
    await expect(
      store.getOnlineFeatures({ features, entityRows: [{ driver_id: '1001' as unknown as number }] }),
    ).rejects.toThrow(/Entity row 0: .*driver_id/);
  });
});

describe('a Redis refusal on the hot path', () => {
  it('fails the call naming the key, with or without autoPipelining', async () => {
    const { Redis } = await import('ioredis');
    const { redisKey } = await import('../../src/codec/entity-key');
    const { ValueType } = await import('../../src/codec/value-type');
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    // A unique entity whose key holds a string, not a hash: HMGET answers WRONGTYPE.
    const id = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const key = Buffer.from(
      redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: id }], 'mlops_demo'),
    );
    try {
      await redis.set(key, 'not a hash');
      for (const store of [open(), open({ autoPipelining: true })]) {
        await store.getOnlineFeatures({ features, entityRows: [{ driver_id: 1001 }] });
        await expect(
          store.getOnlineFeatures({ features, entityRows: [{ driver_id: 1001 }, { driver_id: id }] }),
        ).rejects.toThrow(`Redis refused HMGET of key 0x${key.toString('hex')}`);
      }
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});
