import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKey } from '../../src/codec/entity-key';
import { decodeTimestamp, timestampToEpochNanos } from '../../src/codec/timestamp';
import { decodeValue } from '../../src/codec/value';
import { ValueType } from '../../src/codec/value-type';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { feastPythonJson, feastRepo, pins } from '../support/platform';

const pythonOnline = readFileSync(new URL('./python-online.py', import.meta.url), 'utf8');
const pythonWrite = readFileSync(new URL('./python-write.py', import.meta.url), 'utf8');
const store = new FeatureStore({ repoPath: feastRepo, statuses: 'feast' });
const redis = new Redis({ host: '127.0.0.1', port: Number(pins.REDIS_PORT) });
const written: Buffer[] = [];
const keyOf = (driver: bigint) => {
  const key = Buffer.from(
    redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: driver }], 'mlops_demo'),
  );
  written.push(key);
  return key;
};
afterAll(async () => {
  if (written.length) await redis.del(...written);
  redis.disconnect();
  await store.close();
});

const at = (iso: string) => new Date(iso);

describe('writeToOnlineStore straight to Redis, read back by Feast Python', { timeout: 120_000 }, () => {
  it('writes every value type so that Feast Python reads exactly what we read', async () => {
    const driver = 88_000_001n;
    keyOf(driver);
    const row = {
      driver_id: driver,
      event_timestamp: at('2026-03-01T12:00:00.123Z'),
      int32_val: -7,
      int64_val: 9_007_199_254_740_993n,
      float32_val: 0.1,
      float64_val: Math.PI,
      string_val: 'naïve ✓ 🚀',
      bytes_val: new Uint8Array([0, 255, 10]),
      bool_val: true,
      unix_timestamp_val: at('2026-02-02T02:02:02Z'),
      int32_list_val: [1, -2, 3],
      int64_list_val: [-(2n ** 63n), 2n ** 63n - 1n],
      float32_list_val: [1.5, -0.25],
      float64_list_val: [1e-300, 2.5],
      string_list_val: ['a', '', 'ü'],
      bytes_list_val: [new Uint8Array([1]), new Uint8Array([])],
      bool_list_val: [true, false],
      unix_timestamp_list_val: [at('2026-01-01T00:00:00Z'), at('1999-12-31T23:59:59Z')],
    };
    const view = await store.getFeatureView('driver_all_types');
    // Every feature the view has is in the row (the write refuses a row that lacks one).
    expect(view.features.map((f) => f.name).filter((n) => !(n in row))).toEqual([]);
    expect(await store.writeToOnlineStore('driver_all_types', [row])).toEqual({ written: 1, skipped: 0 });

    const features = view.features.map((f) => `driver_all_types:${f.name}`);
    const ours = await store.getOnlineFeatures({ features, entities: { driver_id: [driver] } });
    const python = feastPythonJson<{
      feature_names: string[];
      results: Array<{ values: string[]; statuses: string[]; timestamps: Array<[number, number]> }>;
    }>(pythonOnline, { repo: feastRepo, features, entity_rows: [{ driver_id: Number(driver) }] });
    for (const [i, name] of python.feature_names.entries()) {
      if (name === 'driver_id') continue;
      const result = python.results[i]!;
      expect(result.statuses).toEqual(['PRESENT']);
      expect(decodeValue(new Uint8Array(Buffer.from(result.values[0]!, 'base64'))), name).toEqual(
        ours.columns[name]!.values[0],
      );
      expect(result.timestamps[0]).toEqual([Math.floor(row.event_timestamp.getTime() / 1000), 123_000_000]);
    }
    expect(ours.toObjects()[0]).toMatchObject({
      int64_val: 9_007_199_254_740_993n,
      string_val: 'naïve ✓ 🚀',
      bool_val: true,
    });
  });

  it('writes the same bytes as Feast Python writes for the same rows', async () => {
    const [mine, theirs] = [88_000_002n, 88_000_003n];
    const base = {
      event_timestamp: '2026-03-01T00:00:00.5Z',
      conv_rate: 0.25,
      acc_rate: 0.875,
      avg_daily_trips: 42n,
    };
    await store.writeToOnlineStore('driver_hourly_stats', [{ ...base, driver_id: mine }]);
    feastPythonJson(pythonWrite, {
      repo: feastRepo,
      view: 'driver_hourly_stats',
      // Feast Python also wants the source's created-timestamp column, which the online store does not keep.
      rows: [{ ...base, avg_daily_trips: 42, driver_id: Number(theirs), created: base.event_timestamp }],
      timestamp_columns: ['event_timestamp', 'created'],
    });
    const [ours, reference] = await Promise.all([
      redis.hgetallBuffer(keyOf(mine)),
      redis.hgetallBuffer(keyOf(theirs)),
    ]);
    const hexes = (hash: Record<string, Buffer>) =>
      Object.fromEntries(
        Object.entries(hash).map(([field, value]) => [
          Buffer.from(field, 'latin1').toString('hex'),
          value.toString('hex'),
        ]),
      );
    expect(Object.keys(ours)).toHaveLength(4);
    expect(hexes(ours)).toEqual(hexes(reference));
  });

  it('reads rows that Feast Python pushed exactly as Feast Python reads them', async () => {
    const drivers = [88_000_010, 88_000_011];
    for (const d of drivers) keyOf(BigInt(d));
    feastPythonJson(pythonWrite, {
      repo: feastRepo,
      push_source: 'driver_stats_push',
      rows: drivers.map((driver_id, i) => ({
        driver_id,
        event_timestamp: '2026-03-05T10:00:00.25Z',
        created: '2026-03-05T10:00:00.25Z',
        conv_rate: 0.1 + i,
        acc_rate: 0.2,
        avg_daily_trips: 1000 + i,
      })),
      timestamp_columns: ['event_timestamp', 'created'],
    });
    const features = [
      'driver_hourly_stats:conv_rate',
      'driver_hourly_stats:acc_rate',
      'driver_hourly_stats:avg_daily_trips',
    ];
    const ours = await store.getOnlineFeatures({ features, entities: { driver_id: drivers } });
    const python = feastPythonJson<{
      feature_names: string[];
      results: Array<{ values: string[]; statuses: string[]; timestamps: Array<[number, number]> }>;
    }>(pythonOnline, { repo: feastRepo, features, entity_rows: drivers.map((driver_id) => ({ driver_id })) });
    for (const [i, name] of python.feature_names.entries()) {
      if (name === 'driver_id') continue;
      const values = python.results[i]!.values.map((b64) =>
        decodeValue(new Uint8Array(Buffer.from(b64, 'base64'))),
      );
      expect(ours.columns[name]!.values, name).toEqual(values);
      expect(ours.columns[name]!.statuses).toEqual(python.results[i]!.statuses);
    }
    expect(ours.columns.avg_daily_trips!.values).toEqual([1000n, 1001n]);
  });

  it('skips rows older than what Redis holds, and older rows of the same batch, as Feast does', async () => {
    const driver = 88_000_004n;
    const row = (iso: string, trips: bigint) => ({
      driver_id: driver,
      event_timestamp: iso,
      conv_rate: 0.5,
      acc_rate: 0.5,
      avg_daily_trips: trips,
    });
    expect(
      await store.writeToOnlineStore('driver_hourly_stats', [
        row('2026-03-02T00:00:00Z', 2n),
        row('2026-03-01T00:00:00Z', 1n),
      ]),
    ).toEqual({
      written: 1,
      skipped: 1,
    });
    expect(await store.writeToOnlineStore('driver_hourly_stats', [row('2026-03-02T00:00:00Z', 3n)])).toEqual({
      written: 0,
      skipped: 1,
    });
    expect(
      await store.writeToOnlineStore('driver_hourly_stats', [
        row('2026-03-03T00:00:00Z', 4n),
        row('2026-03-04T00:00:00Z', 5n),
      ]),
    ).toEqual({
      written: 2,
      skipped: 0,
    });
    keyOf(driver);
    const result = await store.getOnlineFeatures({
      features: ['driver_hourly_stats:avg_daily_trips'],
      entities: { driver_id: [driver] },
    });
    expect(result.columns.avg_daily_trips!.values).toEqual([5n]);
  });

  it('refuses a bad row before writing anything', async () => {
    const driver = 88_000_005n;
    keyOf(driver);
    const good = {
      driver_id: driver,
      event_timestamp: '2026-03-01T00:00:00Z',
      conv_rate: 0.5,
      acc_rate: 0.5,
      avg_daily_trips: 1n,
    };
    for (const [bad, message] of [
      [{ ...good, avg_daily_trips: 'many' }, 'Row 1: Cannot encode'],
      [{ ...good, conv_rate: undefined, acc_rate: undefined }, 'Row 1 has no'],
      [
        { ...good, event_timestamp: 'yesterday' },
        'Row 1: event_timestamp: the string "yesterday" is not an ISO 8601 date-time; give a Date',
      ],
      [
        { ...good, event_timestamp: '2026-03-01T00:00:00' },
        'Row 1: event_timestamp: the string "2026-03-01T00:00:00" has no time zone',
      ],
      [{ ...good, driver_id: 2 ** 60 }, 'Row 1: Cannot encode entity key'],
    ] as const) {
      const rows = [good, Object.fromEntries(Object.entries(bad).filter(([, v]) => v !== undefined))];
      await expect(store.writeToOnlineStore('driver_hourly_stats', rows as never)).rejects.toSatisfy(
        (e: Error) => InvalidFeatureRequestError.isInstance(e) && e.message.startsWith(message),
      );
    }
    expect(await redis.exists(keyOf(driver))).toBe(0);
  });
});

describe('event times keep their microseconds on both write paths', { timeout: 120_000 }, () => {
  const tsField = '_ts:driver_hourly_stats';
  const row = (driver: bigint, event_timestamp: unknown, trips: bigint) => ({
    driver_id: driver,
    event_timestamp,
    conv_rate: 0.5,
    acc_rate: 0.25,
    avg_daily_trips: trips,
  });
  const storedNanos = async (driver: bigint) => {
    const bytes = await redis.hgetBuffer(keyOf(driver), tsField);
    return bytes ? timestampToEpochNanos(decodeTimestamp(new Uint8Array(bytes))) : undefined;
  };
  const T = 1_772_366_400_000_000n; // 2026-03-01T12:00:00Z in µs

  it('equal milliseconds, different microseconds: the newer µs wins, as in Feast', async () => {
    const driver = 88_000_101n;
    keyOf(driver);
    const write = (ts: unknown, trips: bigint) =>
      store.writeToOnlineStore('driver_hourly_stats', [row(driver, ts, trips) as never]);
    expect(await write('2026-03-01T12:00:00.000002Z', 2n)).toEqual({ written: 1, skipped: 0 });
    expect(await storedNanos(driver)).toBe((T + 2n) * 1000n);
    // 1 µs older, the same millisecond: skipped (a Date-based writer would have seen two equal times).
    expect(await write('2026-03-01T12:00:00.000001Z', 1n)).toEqual({ written: 0, skipped: 1 });
    expect(await write(T + 2n, 22n)).toEqual({ written: 0, skipped: 1 }); // equal: not newer
    expect(await write(T + 3n, 3n)).toEqual({ written: 1, skipped: 0 }); // bigint µs
    expect(await storedNanos(driver)).toBe((T + 3n) * 1000n);
    // Within one batch too: the later row of the same entity wins only when its µs is newer.
    expect(
      await store.writeToOnlineStore('driver_hourly_stats', [
        row(driver, '2026-03-01T13:00:00.000005+01:00', 5n) as never,
        row(driver, '2026-03-01T12:00:00.000004Z', 4n) as never,
      ]),
    ).toEqual({ written: 1, skipped: 1 });
    const python = feastPythonJson<{
      results: Array<{ values: string[]; timestamps: Array<[number, number]> }>;
    }>(pythonOnline, {
      repo: feastRepo,
      features: ['driver_hourly_stats:avg_daily_trips'],
      entity_rows: [{ driver_id: Number(driver) }],
    });
    // Feast Python reads the µs-newer row, with its microseconds.
    expect(decodeValue(new Uint8Array(Buffer.from(python.results[1]!.values[0]!, 'base64')))).toBe(5n);
    expect(python.results[1]!.timestamps[0]).toEqual([Number(T / 1_000_000n), 5000]);
    expect(await storedNanos(driver)).toBe((T + 5n) * 1000n);
  });

  it('through the feature server, the event time travels with its microseconds', async () => {
    const driver = 88_000_102n;
    keyOf(driver);
    const http = new FeatureStore({ repoPath: feastRepo, online: 'http' });
    try {
      // The server also wants the batch source's created column.
      await http.writeToOnlineStore('driver_hourly_stats', [
        { ...row(driver, T + 7n, 7n), created: '2026-03-01T12:00:00Z' } as never,
      ]);
      expect(await storedNanos(driver)).toBe((T + 7n) * 1000n);
    } finally {
      await http.close();
    }
  });

  it("push rows: the push source's event time, any TimeInput, with its microseconds", async () => {
    const driver = 88_000_103n;
    keyOf(driver);
    const http = new FeatureStore({ repoPath: feastRepo, online: 'http' });
    try {
      await http.push('driver_stats_push', {
        driver_id: [driver],
        event_timestamp: [T + 9n],
        created: ['2026-03-01T12:00:00Z'],
        conv_rate: [0.125],
        acc_rate: [0.5],
        avg_daily_trips: [9n],
      });
      expect(await storedNanos(driver)).toBe((T + 9n) * 1000n);
      const error = await http
        .push('driver_stats_push', {
          driver_id: [driver],
          event_timestamp: ['2026-03-01 12:00:00.000010'],
          created: ['2026-03-01T12:00:00Z'],
          conv_rate: [0.125],
          acc_rate: [0.5],
          avg_daily_trips: [10n],
        })
        .catch((e: unknown) => e as Error);
      expect(InvalidFeatureRequestError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /^Row 0: event_timestamp: the string "2026-03-01 12:00:00.000010" has no time zone/,
      );
    } finally {
      await http.close();
    }
  });
});
