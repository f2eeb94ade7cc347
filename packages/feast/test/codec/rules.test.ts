import { describe, expect, it } from 'vitest';
import { serializeEntityKey } from '../../src/codec/entity-key';
import { EncodeError } from '../../src/codec/errors';
import { describeValue, int64Of, notInt64 } from '../../src/codec/rules';
import { encodeValue } from '../../src/codec/value';
import { ValueType } from '../../src/codec/value-type';
import { encodeCopyBinary, PG_OID } from '../../src/offline/pg-copy';

function messageOf(run: () => unknown): string {
  try {
    const result = run();
    if (result && typeof result === 'object' && Symbol.iterator in result)
      for (const _ of result as Iterable<unknown>);
  } catch (error) {
    expect(EncodeError.isInstance(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('encoded without an error');
}

describe('one int64 rule and one describer', () => {
  it.each([
    ['the number 1.5', 1.5],
    ['the string "1001"', '1001'],
    ['the bigint 9223372036854775808', 2n ** 63n],
    ['the boolean true', true],
    ['a Uint8Array', new Uint8Array(1)],
  ])('an INT64 given %s fails with the same words in a Value, an entity key and COPY', (shown, value) => {
    const expected = `INT64 needs a bigint or a safe integer in the int64 range, got ${shown}`;
    expect(messageOf(() => encodeValue(value as never, ValueType.INT64, { field: 'trips' }))).toBe(
      `Cannot encode feast.types.Value (trips): ${expected}`,
    );
    expect(
      messageOf(() =>
        serializeEntityKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: value as never }]),
      ),
    ).toBe(`Cannot encode entity key (driver_id): ${expected}`);
    expect(
      messageOf(() => encodeCopyBinary([{ name: 'big', typeOid: PG_OID.INT8, values: [value] }], 1)),
    ).toBe(`Cannot encode a bigint value for COPY (big): row 0: ${expected}`);
  });

  it('a number beyond 2^53 is refused with the same words everywhere', () => {
    const expected = 'INT64 got 9007199254740994, beyond 2^53 where numbers are rounded; pass a bigint';
    expect(messageOf(() => encodeValue(2 ** 53 + 2, ValueType.INT64))).toBe(
      `Cannot encode feast.types.Value: ${expected}`,
    );
    expect(
      messageOf(() =>
        serializeEntityKey([{ joinKey: 'driver_id', valueType: ValueType.INT64, value: 2 ** 53 + 2 }]),
      ),
    ).toBe(`Cannot encode entity key (driver_id): ${expected}`);
  });

  it('accepts exactly the int64 range, as bigints or safe integers', () => {
    const fail = (message: string): never => {
      throw new Error(message);
    };
    expect(int64Of(-(2n ** 63n), 'INT64', fail)).toBe(-(2n ** 63n));
    expect(int64Of(2n ** 63n - 1n, 'INT64', fail)).toBe(2n ** 63n - 1n);
    expect(int64Of(Number.MAX_SAFE_INTEGER, 'INT64', fail)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(notInt64(-(2n ** 63n) - 1n)).toMatch(/int64 range, got the bigint -9223372036854775809$/);
  });

  it('describes values in a few words', () => {
    expect(describeValue('x'.repeat(50))).toBe(`the string "${'x'.repeat(40)}…"`);
    expect(describeValue(new Date(0))).toBe('the Date 1970-01-01T00:00:00.000Z');
    expect(describeValue(new Date(Number.NaN))).toBe('an invalid Date');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(new URL('http://x'))).toBe('a URL');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(Symbol('s'))).toBe('a symbol');
  });
});
