import { describe, expect, it } from 'vitest';
import { type EntityKeyValueType, redisKey } from '../../src/codec/entity-key';
import { ValueType } from '../../src/codec/value-type';
import { keyWriter } from '../../src/online/key-writer';

// The request plan writes keys with keyWriter; every byte must be redisKey's, for every value form it takes.
const INT64 = [
  0,
  1,
  -1,
  1001,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  -(2 ** 32),
  2 ** 32 + 5,
  -(2 ** 32) - 5,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  0n,
  -1n,
  1001n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 53n + 1n,
];
const INT32 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 7n, -7n];
const STRING = ['', 'a', 'C001', 'é', '日本', '😀 emoji', 'a\u0000b', 'x'.repeat(300)];

function same(
  parts: Array<{ joinKey: string; valueType: EntityKeyValueType }>,
  rows: unknown[][],
  version: 1 | 2 | 3,
  project = 'mlops_demo',
) {
  const writer = keyWriter(
    parts.map((p, column) => ({ ...p, column })),
    project,
    version,
  );
  const columns = parts.map((_, c) => rows.map((row) => row[c]));
  for (const [row, values] of rows.entries()) {
    const expected = redisKey(
      parts.map((p, c) => ({ ...p, value: values[c] as never })),
      project,
      { version },
    );
    const written = writer.key(columns, row);
    expect(
      Buffer.from(written).equals(Buffer.from(expected)),
      `${parts.map((p) => p.joinKey)} = ${values.map(String)} v${version}`,
    ).toBe(true);
  }
}

describe('keys written in place', () => {
  for (const version of [1, 2, 3] as const) {
    it(`INT64 join keys, numbers and bigints (v${version})`, () => {
      const values =
        version === 1 ? INT64.filter((v) => BigInt(v) >= -(2n ** 31n) && BigInt(v) < 2n ** 31n) : INT64;
      same(
        [{ joinKey: 'driver_id', valueType: ValueType.INT64 }],
        values.map((v) => [v]),
        version,
      );
    });
    it(`INT32 and STRING join keys (v${version})`, () => {
      same(
        [{ joinKey: 'n', valueType: ValueType.INT32 }],
        INT32.map((v) => [v]),
        version,
      );
      same(
        [{ joinKey: 'customer_id', valueType: ValueType.STRING }],
        STRING.map((v) => [v]),
        version,
        'projé',
      );
    });
    it(`composite keys, in either request order (v${version})`, () => {
      const rows = STRING.map((s, i) => [s, i * 1000 - 3]);
      same(
        [
          { joinKey: 'user_id', valueType: ValueType.STRING },
          { joinKey: 'item_id', valueType: ValueType.INT32 },
        ],
        rows,
        version,
      );
      same(
        [
          { joinKey: 'item_id', valueType: ValueType.INT32 },
          { joinKey: 'user_id', valueType: ValueType.STRING },
        ],
        rows.map(([a, b]) => [b, a]),
        version,
      );
    });
  }
  it('hands the other types to redisKey (BYTES, UNIX_TIMESTAMP)', () => {
    same(
      [{ joinKey: 'b', valueType: ValueType.BYTES }],
      [[new Uint8Array([1, 2, 3])], [new Uint8Array()]],
      3,
    );
    same(
      [{ joinKey: 't', valueType: ValueType.UNIX_TIMESTAMP }],
      [[new Date('2026-01-01T00:00:01.999Z')], [1_700_000_000], [1_700_000_000n]],
      3,
    );
  });
});
