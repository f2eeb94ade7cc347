import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FeastObjectNotFoundError, InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { nodeHttpFetch } from '../../src/http/node-http-fetch';
import { RedisOnlineStore } from '../../src/online/redis-online-store';
import type { OnlineFeaturesRequest } from '../../src/online/request-plan';
import { feastRepo, pins } from '../support/platform';
import { rejection } from '../support/rejection';

// The same request gets the same answer whichever backend serves it: a bad one is refused from the
// registry, with the same error, before Redis or the feature server is asked.
let sent = 0;
const inner = nodeHttpFetch();
const countingFetch: typeof fetch = (input, init) => {
  sent++;
  return inner(input, init);
};
const redis = new FeatureStore({ repoPath: feastRepo, online: 'redis' });
const http = new FeatureStore({
  repoPath: feastRepo,
  online: 'http',
  featureServerUrl: `http://127.0.0.1:${pins.FEAST_SERVER_PORT}`,
  fetch: countingFetch,
});
// The read path of getOnlineFeatures (hmgetGroups), and the connection.
const hmget = vi.spyOn(RedisOnlineStore.prototype, 'hmgetGroups');
const client = vi.spyOn(RedisOnlineStore.prototype, 'client');
afterEach(() => {
  sent = 0;
  hmget.mockClear();
  client.mockClear();
});
afterAll(async () => {
  hmget.mockRestore();
  client.mockRestore();
  await Promise.all([redis.close(), http.close()]);
});

const conv = ['driver_hourly_stats:conv_rate'];
const bad: Array<{
  what: string;
  request: OnlineFeaturesRequest;
  error: typeof FeastObjectNotFoundError | typeof InvalidFeatureRequestError;
  message: string;
}> = [
  {
    what: 'an unknown feature view',
    request: { features: ['driver_hourly:conv_rate'], entityRows: [{ driver_id: 1001 }] },
    error: FeastObjectNotFoundError,
    message: 'Did you mean "driver_hourly_stats"?',
  },
  {
    what: 'an unknown feature',
    request: { features: ['driver_hourly_stats:conv'], entityRows: [{ driver_id: 1001 }] },
    error: FeastObjectNotFoundError,
    message: 'Feast feature "conv" does not exist in feature view driver_hourly_stats.',
  },
  {
    what: 'a feature service that does not exist',
    request: { featureService: 'driver_activty', entityRows: [{ driver_id: 1001 }] },
    error: FeastObjectNotFoundError,
    message: 'Did you mean "driver_activity"?',
  },
  {
    what: 'a reference without a feature',
    request: { features: ['driver_hourly_stats'], entityRows: [{ driver_id: 1001 }] },
    error: InvalidFeatureRequestError,
    message: 'is not "<feature view>:<feature>"',
  },
  {
    what: 'features and a feature service at once',
    request: { features: conv, featureService: 'driver_activity', entityRows: [{ driver_id: 1001 }] },
    error: InvalidFeatureRequestError,
    message: 'Give features or featureService, not both.',
  },
  {
    what: 'a string for an int64 id',
    request: { features: conv, entityRows: [{ driver_id: 1001 }, { driver_id: '1002' }] },
    error: InvalidFeatureRequestError,
    message: 'Entity row 1: ',
  },
  {
    what: 'an int64 id beyond 2^53 given as a number',
    request: { features: conv, entities: { driver_id: [2 ** 53 + 2] } },
    error: InvalidFeatureRequestError,
    message: 'driver_id as INT64',
  },
  {
    what: 'a missing join key',
    request: { features: conv, entityRows: [{ customer_id: 'C001' }] },
    error: InvalidFeatureRequestError,
    message:
      'driver_hourly_stats is looked up by driver_id, which the entity rows do not have (they have customer_id)',
  },
  {
    what: 'an extra (misspelled) join key',
    request: { features: conv, entityRows: [{ driver_id: 1001, drivr_id: 1 }] },
    error: InvalidFeatureRequestError,
    message: 'The entity rows have drivr_id, which none of the requested feature views is looked up by',
  },
  {
    what: 'entity columns of different lengths',
    request: { features: conv, entities: { driver_id: [1001, 1002], customer_id: ['C001'] } },
    error: InvalidFeatureRequestError,
    message: 'The entity columns have different lengths',
  },
];

describe('a bad request gets the same error on both backends, and reaches neither', () => {
  for (const { what, request, error, message } of bad) {
    it(`refuses ${what}`, async () => {
      const [viaRedis, viaHttp] = [
        await rejection(redis.getOnlineFeatures(request)),
        await rejection(http.getOnlineFeatures(request)),
      ];
      expect(viaRedis).toBeInstanceOf(error);
      expect(viaRedis.message).toContain(message);
      expect(viaHttp.constructor).toBe(viaRedis.constructor);
      expect(viaHttp.message).toBe(viaRedis.message);
      expect(sent, 'requests sent to the feature server').toBe(0);
      expect(hmget, 'Redis reads').not.toHaveBeenCalled();
      expect(client, 'Redis connections asked for').not.toHaveBeenCalled();
    });
  }

  it('refuses a write to an unknown feature view', async () => {
    const rows = [{ driver_id: 1001, conv_rate: 0.5, event_timestamp: new Date() }];
    const [viaRedis, viaHttp] = [
      await rejection(redis.writeToOnlineStore('driver_hourly', rows)),
      await rejection(http.writeToOnlineStore('driver_hourly', rows)),
    ];
    expect(viaRedis).toBeInstanceOf(FeastObjectNotFoundError);
    expect(viaRedis.message).toContain('Did you mean "driver_hourly_stats"?');
    expect(viaHttp.constructor).toBe(viaRedis.constructor);
    expect(viaHttp.message).toBe(viaRedis.message);
    expect(sent, 'requests sent to the feature server').toBe(0);
    expect(client, 'Redis connections asked for').not.toHaveBeenCalled();
  });

  for (const [what, rows, message] of [
    [
      'a row missing a feature',
      [
        { driver_id: 1001, conv_rate: 0.5, acc_rate: 0.9, avg_daily_trips: 3, event_timestamp: new Date() },
        { driver_id: 1002, conv_rate: 0.5, event_timestamp: new Date() },
      ],
      'Row 1 has no acc_rate, avg_daily_trips: every feature of driver_hourly_stats is written (use null for a missing value).',
    ],
    [
      'a row missing its join key',
      [{ conv_rate: 0.5, acc_rate: 0.9, avg_daily_trips: 3, event_timestamp: new Date() }],
      'Row 0 has no driver_id, the join key of driver_hourly_stats.',
    ],
  ] as const) {
    it(`refuses a write with ${what}`, async () => {
      const [viaRedis, viaHttp] = [
        await rejection(redis.writeToOnlineStore('driver_hourly_stats', rows)),
        await rejection(http.writeToOnlineStore('driver_hourly_stats', rows)),
      ];
      expect(viaRedis).toBeInstanceOf(InvalidFeatureRequestError);
      expect(viaRedis.message).toBe(message);
      expect(viaHttp.constructor).toBe(viaRedis.constructor);
      expect(viaHttp.message).toBe(viaRedis.message);
      expect(sent, 'requests sent to the feature server').toBe(0);
    });
  }

  it('asks each backend for a good request (the counters count)', async () => {
    const request = { features: conv, entityRows: [{ driver_id: 1001 }] };
    const [viaRedis, viaHttp] = [
      await redis.getOnlineFeatures(request),
      await http.getOnlineFeatures(request),
    ];
    expect(hmget).toHaveBeenCalledTimes(1);
    expect(sent).toBe(1);
    expect(viaHttp.toObjects()).toEqual(viaRedis.toObjects());
  });
});
