// Property tests: round trips of every value type and of entity keys; decoders never crash on any bytes (only a
// DecodeError) and never hang; encoders refuse bad input only with an EncodeError.
import { DecodeError } from '@mlops/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTimestamp,
  decodeTypedValue,
  decodeValue,
  deserializeEntityKey,
  EncodeError,
  type EntityKeyPart,
  encodeTimestamp,
  encodeValue,
  type FeastValueInput,
  murmur3,
  parseRedisKey,
  redisKey,
  serializeEntityKey,
  timestampFromEpochNanos,
  timestampToEpochNanos,
  ValueType,
} from '../../src/codec';
import { arbString, describe as show, valueArbitraries } from './helpers';

/** The error `run` throws (a test failure when it throws none). */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

const SEED = 424242;
const JSON_TYPES = new Set(['JSON', 'JSON_LIST']);
const BYTES_ALIASES = new Set(['PDF_BYTES', 'IMAGE_BYTES']);

describe('Value round trips, for every type Feast 0.67 stores', () => {
  it.each(Object.keys(valueArbitraries))('%s: decode(encode(v)) encodes back to the same bytes', (name) => {
    const type = ValueType[name as keyof typeof ValueType];
    fc.assert(
      fc.property(valueArbitraries[name] as fc.Arbitrary<FeastValueInput>, (value) => {
        const bytes = encodeValue(value, type);
        const typed = decodeTypedValue(bytes);
        const expectedType =
          bytes.length === 0 ? ValueType.UNKNOWN : BYTES_ALIASES.has(name) ? ValueType.BYTES : type;
        expect(typed.type).toBe(expectedType);
        const again = encodeValue(typed.value, type);
        if (JSON_TYPES.has(name)) {
          // JSON text is stored as given; re-encoding a parsed document writes Python's json.dumps layout.
          expect(decodeValue(again)).toEqual(typed.value);
        } else {
          expect(Buffer.from(again).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('scalars come back exactly: int64 as bigint, float as its float32 value, dates to the second', () => {
    fc.assert(
      fc.property(
        fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
        (v) => decodeValue(encodeValue(v, ValueType.INT64)) === v,
      ),
      { seed: SEED },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) =>
        Object.is(decodeValue(encodeValue(v, ValueType.FLOAT)), Math.fround(v)),
      ),
      { seed: SEED },
    );
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (d) => {
        const read = decodeValue(encodeValue(d, ValueType.UNIX_TIMESTAMP)) as Date;
        return read.getTime() === Math.trunc(d.getTime() / 1000) * 1000;
      }),
      { seed: SEED },
    );
  });

  it('refuses what does not fit, naming the field: unsafe numbers for INT64, out-of-range INT32, lone surrogates', () => {
    const cases: Array<[() => unknown, string, RegExp]> = [
      [
        () => encodeValue(2 ** 53 + 2, ValueType.INT64, { field: 'trips' }),
        'trips',
        /beyond 2\^53.*pass a bigint/,
      ],
      [() => encodeValue(2 ** 31, ValueType.INT32, { field: 'age' }), 'age', /int32 range/],
      [() => encodeValue('\ud800', ValueType.STRING, { field: 'name' }), 'name', /surrogate/],
      [() => encodeValue(['x'], ValueType.INT64_LIST, { field: 'ids' }), 'ids', /INT64_LIST element/],
    ];
    for (const [run, field, message] of cases) {
      const error = thrownBy(run);
      expect(error).toBeInstanceOf(EncodeError);
      expect(error).toMatchObject({ what: 'feast.types.Value', field });
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('entity key round trips', () => {
  const arbPart = fc.oneof(
    fc.record({ valueType: fc.constant(ValueType.STRING), value: arbString }),
    fc.record({ valueType: fc.constant(ValueType.BYTES), value: fc.uint8Array({ maxLength: 10 }) }),
    fc.record({ valueType: fc.constant(ValueType.INT32), value: fc.integer() }),
    fc.record({ valueType: fc.constant(ValueType.INT64), value: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n) }),
    fc.record({
      valueType: fc.constant(ValueType.UNIX_TIMESTAMP),
      value: fc.integer({ min: -8.64e12, max: 8.64e12 }).map((s) => new Date(s * 1000)),
    }),
  );
  const arbKey = fc
    .uniqueArray(
      arbString.filter((s) => !s.endsWith('\0')),
      { minLength: 1, maxLength: 4 },
    )
    .chain((names) =>
      fc
        .array(arbPart, { minLength: names.length, maxLength: names.length })
        .map((parts) => parts.map((p, i) => ({ joinKey: names[i] as string, ...p }) as EntityKeyPart)),
    );

  it('deserialize(serialize(key)) gives the parts back, sorted by join key code point', () => {
    fc.assert(
      fc.property(arbKey, arbString, (parts, project) => {
        const sorted = [...parts].sort((a, b) =>
          Buffer.compare(Buffer.from(a.joinKey), Buffer.from(b.joinKey)),
        );
        expect(deserializeEntityKey(serializeEntityKey(parts))).toEqual(sorted);
        expect(parseRedisKey(redisKey(parts, project))).toEqual({ parts: sorted, project });
        // The order the caller gives does not matter.
        expect(serializeEntityKey([...parts].reverse())).toEqual(serializeEntityKey(parts));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('timestamps: bytes and epoch nanoseconds round-trip exactly', () => {
    fc.assert(
      fc.property(fc.bigInt(-(2n ** 62n), 2n ** 62n), (ns) => {
        const ts = timestampFromEpochNanos(ns);
        expect(timestampToEpochNanos(decodeTimestamp(encodeTimestamp(ts)))).toBe(ns);
      }),
      { seed: SEED },
    );
  });

  it('murmur3 is a u32 for any string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        (s) => Number.isInteger(murmur3(s)) && murmur3(s) >>> 0 === murmur3(s),
      ),
      {
        seed: SEED,
      },
    );
  });
});

describe('decoders on arbitrary bytes', () => {
  /** Runs `decode`; anything but a value or a DecodeError (with the given source) fails the property. */
  function survives(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): boolean {
    const started = performance.now();
    try {
      decode(bytes);
    } catch (error) {
      if (!DecodeError.isInstance(error))
        throw new Error(`not a DecodeError on ${show(bytes)}: ${String(error)}`);
      expect(error.source).toBe('fuzz');
    }
    const elapsed = performance.now() - started;
    if (elapsed > 250) throw new Error(`took ${elapsed.toFixed(0)} ms on ${bytes.length} bytes`);
    return true;
  }
  const ctx = { source: 'fuzz', field: 'f' };
  // Valid encodings, then corrupted: truncated, a byte flipped, bytes inserted.
  const valid = fc.oneof(
    ...Object.entries(valueArbitraries).map(([name, arb]) =>
      arb.map((v) => encodeValue(v, ValueType[name as keyof typeof ValueType])),
    ),
  );
  const corrupted = fc
    .tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'flip', 'insert'))
    .map(([bytes, at, byte, how]) => {
      if (bytes.length === 0) return Uint8Array.of(byte);
      const i = at % bytes.length;
      if (how === 'truncate') return bytes.slice(0, i);
      const copy =
        how === 'insert' ? Uint8Array.from([...bytes.slice(0, i), byte, ...bytes.slice(i)]) : bytes.slice();
      if (how === 'flip') copy[i] = (copy[i] as number) ^ (byte || 1);
      return copy;
    });
  const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 96 }), corrupted);

  it('decodeValue: a value or a DecodeError, quickly', () => {
    fc.assert(
      fc.property(anyBytes, (b) => survives((x) => decodeValue(x, ctx), b)),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('entity keys, Redis keys and timestamps: a value or a DecodeError, quickly', () => {
    const keyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 0xffffffff })).map(([tail, count]) => {
        const head = new Uint8Array(4);
        new DataView(head.buffer).setUint32(0, count, true);
        return Uint8Array.from([...head, ...tail]);
      }),
    );
    fc.assert(
      fc.property(keyBytes, (b) => survives((x) => deserializeEntityKey(x, ctx), b)),
      { seed: SEED, numRuns: 2000 },
    );
    fc.assert(
      fc.property(keyBytes, (b) => survives((x) => parseRedisKey(x, ctx), b)),
      { seed: SEED, numRuns: 2000 },
    );
    fc.assert(
      fc.property(anyBytes, (b) => survives((x) => decodeTimestamp(x, ctx), b)),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('refuses nesting deeper than protobuf allows instead of overflowing the stack', () => {
    // 300 nested list_val (field 42, length-delimited): a DecodeError, not a RangeError.
    let bytes = new Uint8Array(0);
    for (let i = 0; i < 300; i++) {
      const inner =
        bytes.length === 0 ? new Uint8Array(0) : Uint8Array.from([0x0a, ...varint(bytes.length), ...bytes]);
      bytes = Uint8Array.from([0xd2, 0x02, ...varint(inner.length), ...inner]);
    }
    const error = thrownBy(() => decodeValue(bytes, ctx));
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ what: 'feast.types.Value', ...ctx });
  });

  it('a huge declared length is refused at once', () => {
    const value = thrownBy(() =>
      decodeValue(Uint8Array.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61]), ctx),
    );
    expect(value).toBeInstanceOf(DecodeError);
    expect(value).toMatchObject({ what: 'feast.types.Value', ...ctx });
    const key = new Uint8Array(12);
    new DataView(key.buffer).setUint32(0, 0xffffffff, true);
    const entityKey = thrownBy(() => deserializeEntityKey(key, ctx));
    expect(entityKey).toBeInstanceOf(DecodeError);
    expect(entityKey).toMatchObject({ what: 'entity key', ...ctx });
  });
});

describe('encoders on arbitrary input', () => {
  it('encodeValue: bytes or an EncodeError, for any value and any type', () => {
    const types = Object.values(ValueType);
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
        fc.constantFrom(...types),
        (value, type) => {
          try {
            encodeValue(value as FeastValueInput, type);
          } catch (error) {
            if (!EncodeError.isInstance(error))
              throw new Error(`not an EncodeError for ${show(value)} as ${type}: ${String(error)}`);
          }
          return true;
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
