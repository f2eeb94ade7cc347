// fastDecodeValue is decodeValue, only faster: the same value (same classes, NaN, -0, Buffer vs Uint8Array) or the
// same error (class and message), for Feast's encodings of every type, for arbitrary bytes, and for random
// protobuf wire messages built to hit its edge cases (overlong varints, unpacked and split lists, extra fields,
// truncations, invalid UTF-8, timestamps beyond a Date).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, type FeastValueInput, ValueType } from '../../src/codec';
import { fastDecodeValue } from '../../src/codec/fast-value';
import {
  decodeTimestamp,
  decodeTimestampToDate,
  encodeTimestamp,
  timestampToDate,
} from '../../src/codec/timestamp';
import { valueArbitraries } from './helpers';

const SEED = 20261126;
const ctx = { source: 'redis key 0x01', field: 'view:feature' };

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function outcome(decode: () => unknown): Outcome {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Same value (strictly: classes, NaN, -0) or same error class and message. */
function expectSame(bytes: Uint8Array): void {
  const slow = outcome(() => decodeValue(bytes, ctx));
  const fast = outcome(() => fastDecodeValue(bytes, ctx));
  if (slow.ok) {
    expect(fast.ok, `fast threw ${fast.ok ? '' : String(fast.error)}`).toBe(true);
    expect((fast as { value: unknown }).value).toStrictEqual(slow.value);
    expect(Object.prototype.toString.call((fast as { value: unknown }).value)).toBe(
      Object.prototype.toString.call(slow.value),
    );
  } else {
    expect(fast.ok, 'fast returned a value where decodeValue throws').toBe(false);
    const [a, b] = [(fast as { error: Error }).error, slow.error as Error];
    expect(a.constructor).toBe(b.constructor);
    expect(a.message).toBe(b.message);
  }
}

/** Both as a Uint8Array and as a Buffer (what ioredis hands over): decodeValue's bytes keep the input's class. */
function expectSameBoth(bytes: Uint8Array): void {
  expectSame(bytes);
  const padded = Buffer.alloc(bytes.length + 3);
  padded.set(bytes, 3);
  expectSame(padded.subarray(3));
}

describe('fastDecodeValue equals decodeValue', () => {
  it.each(Object.keys(valueArbitraries))('on Feast encodings of %s', (name) => {
    const type = ValueType[name as keyof typeof ValueType];
    fc.assert(
      fc.property(valueArbitraries[name] as fc.Arbitrary<FeastValueInput>, (value) => {
        expectSameBoth(encodeValue(value, type));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('on hand-picked edge values', () => {
    const cases: Array<[FeastValueInput, ValueType]> = [
      [0, ValueType.INT32],
      [-1, ValueType.INT32],
      [2 ** 31 - 1, ValueType.INT32],
      [-(2 ** 31), ValueType.INT32],
      [0n, ValueType.INT64],
      [-1n, ValueType.INT64],
      [2n ** 53n, ValueType.INT64],
      [-(2n ** 53n) - 1n, ValueType.INT64],
      [2n ** 63n - 1n, ValueType.INT64],
      [-(2n ** 63n), ValueType.INT64],
      [-0, ValueType.DOUBLE],
      [Number.MIN_VALUE, ValueType.DOUBLE],
      [Number.POSITIVE_INFINITY, ValueType.DOUBLE],
      [-0, ValueType.FLOAT],
      [3.4e38, ValueType.FLOAT],
      ['', ValueType.STRING],
      ['\uFEFFbom', ValueType.STRING],
      ['é✓😀', ValueType.STRING],
      ['x'.repeat(1000), ValueType.STRING],
      [new Uint8Array(0), ValueType.BYTES],
      [false, ValueType.BOOL],
      [new Date(0), ValueType.UNIX_TIMESTAMP],
      [new Date(-8.64e15), ValueType.UNIX_TIMESTAMP],
      [[], ValueType.FLOAT_LIST],
      [[], ValueType.STRING_LIST],
      [[''], ValueType.STRING_LIST],
      [[new Uint8Array(0)], ValueType.BYTES_LIST],
      [[-(2n ** 63n), 2n ** 63n - 1n, 0n], ValueType.INT64_LIST],
      [[-(2 ** 31), -1, 0], ValueType.INT32_LIST],
      [[true, false], ValueType.BOOL_LIST],
      [[new Date(0), new Date(8.64e15)], ValueType.UNIX_TIMESTAMP_LIST],
      [[Number.NaN, -0], ValueType.DOUBLE_LIST],
    ];
    for (const [value, type] of cases) expectSameBoth(encodeValue(value, type));
  });

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => expectSameBoth(bytes)),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('on arbitrary bytes after a hot tag', () => {
    const hotTags = [
      [0x0a],
      [0x12],
      [0x18],
      [0x20],
      [0x29],
      [0x35],
      [0x38],
      [0x40],
      [0x5a],
      [0x62],
      [0x6a],
      [0x72],
      [0x7a],
      [0x82, 0x01],
      [0x8a, 0x01],
      [0x92, 0x01],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...hotTags), fc.uint8Array({ maxLength: 40 }), (tag, rest) =>
        expectSameBoth(Uint8Array.from([...tag, ...rest])),
      ),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('on random protobuf messages built from hot fields', () => {
    fc.assert(
      fc.property(arbMessage, (bytes) => expectSameBoth(bytes)),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('on Feast encodings cut short, extended or with a byte changed', () => {
    const arbEncoded = fc
      .constantFrom(
        'STRING',
        'INT32',
        'INT64',
        'DOUBLE',
        'FLOAT',
        'BOOL',
        'UNIX_TIMESTAMP',
        'BYTES_LIST',
        'STRING_LIST',
        'INT32_LIST',
        'INT64_LIST',
        'DOUBLE_LIST',
        'FLOAT_LIST',
        'BOOL_LIST',
        'UNIX_TIMESTAMP_LIST',
      )
      .chain((name) =>
        (valueArbitraries[name] as fc.Arbitrary<FeastValueInput>).map((v) =>
          encodeValue(v, ValueType[name as keyof typeof ValueType]),
        ),
      );
    fc.assert(
      fc.property(
        arbEncoded,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 6 }),
        (bytes, at, byte, tail) => {
          if (bytes.length > 0) {
            expectSameBoth(bytes.subarray(0, at % bytes.length));
            const changed = bytes.slice();
            changed[at % bytes.length] = byte;
            expectSameBoth(changed);
          }
          expectSameBoth(Uint8Array.from([...bytes, ...tail]));
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

// ------------------------------------------------------------------ random wire messages

function varintBytes(value: bigint, extra = 0): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  // Overlong: continuation bytes of zero bits.
  for (let i = 0; i < extra; i++) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

const arbVarint = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: 0n, max: 300n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, -1n, 8_640_000_000_000n, 8_640_000_000_001n),
    ),
    fc.integer({ min: 0, max: 10 }),
  )
  .map(([v, extra]) => varintBytes(v, extra % 4 === 3 ? extra : 0));

const arbUtf8ish = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => [...Buffer.from(s, 'utf8')]),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
);

function delimited(payload: number[]): number[] {
  return [...varintBytes(BigInt(payload.length)), ...payload];
}

const arbPackedPayload = fc.oneof(
  fc.array(arbVarint, { maxLength: 4 }).map((vs) => vs.flat()),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }),
);

/** The inner message of a list: packed runs, unpacked elements, other fields. */
const arbListInner = fc
  .array(
    fc.oneof(
      arbPackedPayload.map((p) => [0x0a, ...delimited(p)]),
      arbUtf8ish.map((p) => [0x0a, ...delimited(p)]),
      arbVarint.map((v) => [0x08, ...v]),
      fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [0x0d, ...b]),
      fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [0x09, ...b]),
      arbVarint.map((v) => [0x10, ...v]),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.flat());

function tagBytes(field: number, wireType: number): number[] {
  return varintBytes(BigInt((field << 3) | wireType));
}

const arbField = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1, max: 18 }), fc.integer({ min: 19, max: 48 })),
    fc.integer({ min: 0, max: 5 }),
  )
  .chain(([field, wireType]) => {
    const tag = tagBytes(field, wireType);
    switch (wireType) {
      case 0:
        return arbVarint.map((v) => [...tag, ...v]);
      case 1:
        return fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => [...tag, ...b]);
      case 5:
        return fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...tag, ...b]);
      case 2:
        return fc.oneof(arbListInner, arbUtf8ish).map((p) => [...tag, ...delimited(p)]);
      default:
        return fc.uint8Array({ maxLength: 3 }).map((b) => [...tag, ...b]);
    }
  });

const arbMessage = fc
  .tuple(fc.array(arbField, { minLength: 1, maxLength: 3 }), fc.nat({ max: 3 }))
  .map(([fields, cut]) => {
    const bytes = fields.flat();
    return Uint8Array.from(cut === 0 ? bytes.slice(0, Math.max(0, bytes.length - 1)) : bytes);
  });

describe('decodeTimestampToDate', () => {
  const general = (bytes: Uint8Array): Date | string => {
    try {
      return timestampToDate(decodeTimestamp(bytes));
    } catch (error) {
      return (error as Error).constructor.name;
    }
  };
  const fast = (bytes: Uint8Array): Date | string => {
    try {
      return decodeTimestampToDate(bytes);
    } catch (error) {
      return (error as Error).constructor.name;
    }
  };

  it('equals the general path for every encodable timestamp', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (seconds, nanos) => {
          const bytes = encodeTimestamp({ seconds, nanos });
          expect(fast(bytes)).toEqual(general(bytes));
        },
      ),
      { numRuns: 3000 },
    );
    expect(decodeTimestampToDate(new Uint8Array())).toEqual(new Date(0));
  });

  it('gives the same answer or the same error for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        expect(fast(bytes)).toEqual(general(bytes));
      }),
      { numRuns: 5000 },
    );
  });
});
