/**
 * The rules every encoder of this package shares, so that the same mistake gets the same message whether a
 * value goes to Redis (feast.types.Value, entity keys) or to PostgreSQL (COPY): the int64 and Date limits,
 * the int64 check, and how a value is described in an error. Imports nothing.
 */

export const INT64_MIN: bigint = -(2n ** 63n);
export const INT64_MAX: bigint = 2n ** 63n - 1n;
/** The largest |milliseconds since the epoch| a JavaScript Date holds (±100 000 000 days). */
export const MAX_DATE_MS = 8.64e15;
/** MAX_DATE_MS in whole seconds. */
export const MAX_DATE_SECONDS = 8_640_000_000_000n;

/** A value in a few words, for error messages: `the string "x"`, `the number 1.5`, `a Uint8Array`, ... */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `the ${typeof value} ${String(value)}`;
  }
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'an invalid Date' : `the Date ${value.toISOString()}`;
  if (value instanceof Uint8Array) return 'a Uint8Array';
  if (value instanceof Map) return 'a Map';
  if (value instanceof Set) return 'a Set';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}

/**
 * Why `value` is not an int64 (a bigint in the int64 range, or a number that is a safe integer), worded to
 * follow the name of the type: `INT64 needs a bigint ...`. Undefined when it is one.
 */
export function notInt64(value: unknown): string | undefined {
  if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return undefined;
  if (typeof value === 'number' && Number.isInteger(value))
    return `got ${value}, beyond 2^53 where numbers are rounded; pass a bigint`;
  return `needs a bigint or a safe integer in the int64 range, got ${describeValue(value)}`;
}

/** `value` as an int64 bigint; else `fail` with `${type} ${notInt64(value)}`. */
export function int64Of(value: unknown, type: string, fail: (message: string) => never): bigint {
  const problem = notInt64(value);
  if (problem !== undefined) return fail(`${type} ${problem}`);
  return BigInt(value as bigint | number);
}
