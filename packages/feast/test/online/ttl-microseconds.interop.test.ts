// OUTSIDE_MAX_AGE is judged to the microsecond on both backends: a value written at T (with µs) is inside its
// view's TTL at exactly T + TTL and outside 1 µs later, whatever form `now` takes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKey } from '../../src/codec/entity-key';
import type { TimeInput } from '../../src/codec/instant';
import { ValueType } from '../../src/codec/value-type';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { feastRepo, pins } from '../support/platform';
import { rejection } from '../support/rejection';

const driver = 88_000_201n;
const redis = new Redis({ host: '127.0.0.1', port: Number(pins.REDIS_PORT) });
const key = Buffer.from(
  redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: driver }], 'mlops_demo'),
);
const direct = new FeatureStore({ repoPath: feastRepo });
const http = new FeatureStore({ repoPath: feastRepo, online: 'http' });
afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
  await Promise.all([direct.close(), http.close()]);
});

const T = 1_772_366_400_000_500n; // 2026-03-01T12:00:00.000500Z: half a millisecond in
const DAY = 86_400_000_000n; // driver_hourly_stats' TTL

function instant(text: string): { epochNanoseconds: bigint } {
  setFlagsFromString('--harmony-temporal');
  const T = ((globalThis as { Temporal?: unknown }).Temporal ?? runInNewContext('Temporal')) as {
    Instant: { from(t: string): { epochNanoseconds: bigint } };
  };
  return T.Instant.from(text);
}

describe('TTLs to the microsecond', { timeout: 120_000 }, () => {
  it.each<[string, (us: bigint) => TimeInput]>([
    ['bigint µs', (us: bigint) => us],
    [
      'ISO strings',
      (us: bigint) =>
        new Date(Number(us / 1000n)).toISOString().replace('Z', `${us % 1000n}`.padStart(3, '0') + 'Z'),
    ],
    [
      'Temporal.Instant',
      (us: bigint) =>
        instant(
          `${new Date(Number(us / 1000n)).toISOString().slice(0, -1)}${`${us % 1000n}`.padStart(3, '0')}Z`,
        ),
    ],
  ])('now as %s, on both backends', async (_form, now) => {
    await direct.writeToOnlineStore('driver_hourly_stats', [
      { driver_id: driver, event_timestamp: T, conv_rate: 0.5, acc_rate: 0.5, avg_daily_trips: 1n },
    ]);
    for (const store of [direct, http]) {
      const status = async (at: bigint) =>
        (
          await store.getOnlineFeatures({
            features: ['driver_hourly_stats:conv_rate'],
            entityRows: [{ driver_id: driver }],
            now: now(at),
          })
        ).columns.conv_rate!.statuses[0];
      expect(await status(T + DAY)).toBe('PRESENT');
      expect(await status(T + DAY + 1n)).toBe('OUTSIDE_MAX_AGE');
      // The one place a time still comes back as a Date (documented): the event timestamp, floored to the ms.
      const read = await store.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate'],
        entityRows: [{ driver_id: driver }],
        now: T,
      });
      expect(read.columns.conv_rate.eventTimestamps[0]?.getTime()).toBe(Number(T / 1000n));
    }
  });

  it('a `now` that is not a time is refused with the one wording', async () => {
    const error = await rejection(
      direct.getOnlineFeatures({
        features: ['driver_hourly_stats:conv_rate'],
        entityRows: [{ driver_id: driver }],
        now: '2026-03-02T12:00:00',
      }),
    );
    expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/^now: the string "2026-03-02T12:00:00" has no time zone/);
  });
});
