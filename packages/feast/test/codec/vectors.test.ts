import { DecodeError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import {
  DUMMY_ENTITY_KEY,
  decodeTimestamp,
  decodeValue,
  deserializeEntityKey,
  EncodeError,
  encodeTimestamp,
  encodeValue,
  featureFieldName,
  murmur3,
  redisKey,
  serializeEntityKey,
  ValueType,
} from '../../src/codec';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe('entity keys and Redis keys (feast.md §1.4)', () => {
  it('matches the official vector: entity=int32 1, project "test"', () => {
    expect(hex(redisKey([{ joinKey: 'entity', valueType: ValueType.INT32, value: 1 }], 'test'))).toBe(
      '010000000200000006000000656e7469747903000000040000000100000074657374',
    );
  });

  it('driver_id=1001 INT64 in my_project', () => {
    expect(
      hex(redisKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 1001n }], 'my_project')),
    ).toBe('0100000002000000090000006472697665725f69640400000008000000e9030000000000006d795f70726f6a656374');
  });

  it('driver_id=1002 INT64, entity key only (a safe-integer number is accepted for INT64)', () => {
    expect(hex(serializeEntityKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 1002 }]))).toBe(
      '0100000002000000090000006472697665725f69640400000008000000ea03000000000000',
    );
  });

  it('sorts a composite key by join key: {user_id "u1", item_id 7}, project "p"', () => {
    const parts = [
      { joinKey: 'user_id', valueType: ValueType.STRING, value: 'u1' },
      { joinKey: 'item_id', valueType: ValueType.INT64, value: 7n },
    ] as const;
    expect(hex(redisKey(parts, 'p'))).toBe(
      '0200000002000000070000006974656d5f69640200000007000000757365725f6964040000000800000007000000000000000200000002000000753170',
    );
  });

  it('entity-less views use __dummy_id = ""', () => {
    expect(hex(redisKey(DUMMY_ENTITY_KEY, 'my_project'))).toBe(
      '01000000020000000a0000005f5f64756d6d795f696402000000000000006d795f70726f6a656374',
    );
  });

  it('sorts join keys by code point, not by UTF-16 code unit', () => {
    // U+FF5E (one UTF-16 unit 0xFF5E) sorts before U+1F600 (surrogates 0xD83D…) by code point, after it by UTF-16.
    const key = serializeEntityKey([
      { joinKey: '😀', valueType: ValueType.INT32, value: 1 },
      { joinKey: '～', valueType: ValueType.INT32, value: 2 },
    ]);
    expect(deserializeEntityKey(key).map((p) => p.joinKey)).toEqual(['～', '😀']);
  });

  it('round-trips the composite vector', () => {
    const parts = deserializeEntityKey(
      unhex(
        '0200000002000000070000006974656d5f69640200000007000000757365725f6964040000000800000007000000000000000200000003000000753132',
      ),
    );
    expect(parts).toEqual([
      { joinKey: 'item_id', valueType: ValueType.INT64, value: 7n },
      { joinKey: 'user_id', valueType: ValueType.STRING, value: 'u12' },
    ]);
  });

  it('writes versions 2 and 1 (no count or lengths; v1 INT64 in 4 bytes)', () => {
    const parts = [{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 1001n }] as const;
    expect(hex(serializeEntityKey(parts, { version: 2 }))).toBe(
      '020000006472697665725f69640400000008000000e903000000000000',
    );
    expect(hex(serializeEntityKey(parts, { version: 1 }))).toBe(
      '020000006472697665725f69640400000004000000e9030000',
    );
  });

  it('refuses join key types Feast refuses, naming the join key and the type', () => {
    let error: unknown;
    try {
      serializeEntityKey([{ joinKey: 'score', valueType: ValueType.FLOAT as never, value: 1 }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncodeError);
    expect(error).toMatchObject({ what: 'entity key', field: 'score' });
    expect(String(error)).toMatch(/score.*FLOAT/);
  });

  it('never rounds an INT64: unsafe numbers are refused, bigints are exact', () => {
    expect(() =>
      serializeEntityKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 2 ** 60 }]),
    ).toThrowError(/driver_id.*bigint/);
    const key = serializeEntityKey([
      { joinKey: 'driver_id', valueType: ValueType.INT64, value: 2n ** 60n + 1n },
    ]);
    expect(deserializeEntityKey(key)[0]?.value).toBe(2n ** 60n + 1n);
  });

  it('decodes corrupt keys to a DecodeError carrying the source', () => {
    let caught: unknown;
    try {
      deserializeEntityKey(unhex('01000000020000000900'), { source: 'redis key' });
    } catch (error) {
      caught = error;
    }
    expect(DecodeError.isInstance(caught)).toBe(true);
    expect((caught as DecodeError).source).toBe('redis key');
  });
});

describe('hash field names (feast.md §1.5)', () => {
  const cases: [string, number, string][] = [
    ['feature_view_1:feature_10', 962555174, '266d5f39'],
    ['feature_view_1:feature_11', 3214555075, 'c3379abf'],
    ['feature_view_1:feature_12', 1689612919, '7772b564'],
    ['feature_view_1:my-feature-view:feature1', 1250322771, '5369864a'],
    ['driver_hourly_stats:conv_rate', 3672334433, '6160e3da'],
    ['driver_hourly_stats:acc_rate', 2908249850, 'fa5e58ad'],
    ['driver_hourly_stats:avg_daily_trips', 2749736216, '18a5e5a3'],
  ];
  it.each(cases)('%s → %i (%s)', (input, u32, fieldHex) => {
    expect(murmur3(input)).toBe(u32);
    const colon = input.indexOf(':');
    expect(hex(featureFieldName(input.slice(0, colon), input.slice(colon + 1)))).toBe(fieldHex);
  });
});

describe('Value bytes (feast.md §1.6)', () => {
  const cases: [string, unknown, ValueType, string][] = [
    ['float 0.5', 0.5, ValueType.FLOAT, '350000003f'],
    ['double 0.5', 0.5, ValueType.DOUBLE, '29000000000000e03f'],
    ['int64 308', 308n, ValueType.INT64, '20b402'],
    ['int64 -1', -1n, ValueType.INT64, '20ffffffffffffffffff01'],
    ['int32 1', 1, ValueType.INT32, '1801'],
    ['string "abc"', 'abc', ValueType.STRING, '1203616263'],
    ['null', null, ValueType.STRING, ''],
  ];
  it.each(cases)('%s', (_name, value, type, bytesHex) => {
    expect(hex(encodeValue(value as never, type))).toBe(bytesHex);
    expect(decodeValue(unhex(bytesHex))).toEqual(value);
  });

  it('timestamps: 2021-12-31T23:00:00Z, with and without nanos, and empty = epoch', () => {
    expect(hex(encodeTimestamp({ seconds: 1640991600n, nanos: 0 }))).toBe('08f096be8e06');
    expect(hex(encodeTimestamp({ seconds: 1640991600n, nanos: 123456000 }))).toBe('08f096be8e06108094ef3a');
    expect(decodeTimestamp(unhex('08f096be8e06108094ef3a'))).toEqual({
      seconds: 1640991600n,
      nanos: 123456000,
    });
    expect(decodeTimestamp(new Uint8Array(0))).toEqual({ seconds: 0n, nanos: 0 });
    expect(hex(encodeTimestamp({ seconds: 0n, nanos: 0 }))).toBe('');
  });
});
