/**
 * google.protobuf.Timestamp, as Feast stores it in the `_ts:<feature view>` field of a Redis hash.
 * Seconds are a bigint (int64: any value is exact), nanos a number in [0, 999 999 999]. Empty bytes are the
 * epoch (all fields default), which is also what Feast reports for a missing `_ts`.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { type DecodeContext, decodeError, EncodeError } from './errors';
import { describeValue, INT64_MAX, INT64_MIN, MAX_DATE_MS } from './rules';

export interface FeastTimestamp {
  /** Seconds since 1970-01-01T00:00:00Z (int64). */
  readonly seconds: bigint;
  /** Nanoseconds within the second, 0 to 999 999 999. */
  readonly nanos: number;
}

const WHAT = 'google.protobuf.Timestamp';
const NANOS_PER_SECOND = 1_000_000_000n;

/** Decodes Timestamp bytes; empty bytes are the epoch. Corrupt bytes throw a DecodeError. */
export function decodeTimestamp(bytes: Uint8Array, ctx?: DecodeContext): FeastTimestamp {
  if (bytes.length === 0) return { seconds: 0n, nanos: 0 };
  let message: { seconds: bigint; nanos: number };
  try {
    message = fromBinary(TimestampSchema, bytes);
  } catch (cause) {
    throw decodeError(WHAT, ctx, (cause as Error).message, cause);
  }
  if (!Number.isInteger(message.nanos) || message.nanos < 0 || message.nanos >= 1e9) {
    throw decodeError(WHAT, ctx, `nanos ${message.nanos} is outside [0, 999999999]`);
  }
  return { seconds: message.seconds, nanos: message.nanos };
}

/** Encodes a Timestamp as Feast writes it (zero fields omitted, so the epoch is 0 bytes). */
export function encodeTimestamp(timestamp: FeastTimestamp): Uint8Array {
  const { seconds, nanos } = timestamp;
  if (typeof seconds !== 'bigint' || seconds < INT64_MIN || seconds > INT64_MAX) {
    throw new EncodeError(
      { what: WHAT },
      `seconds must be a bigint in the int64 range, got ${describeValue(seconds)}`,
    );
  }
  if (!Number.isInteger(nanos) || nanos < 0 || nanos >= 1e9) {
    throw new EncodeError({ what: WHAT }, `nanos must be an integer in [0, 999999999], got ${nanos}`);
  }
  return toBinary(TimestampSchema, create(TimestampSchema, { seconds, nanos }));
}

/** The Timestamp of a Date (millisecond precision, like the Date). */
export function timestampFromDate(date: Date): FeastTimestamp {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new EncodeError({ what: WHAT }, 'the Date is invalid');
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * The Date of a Timestamp. A Date holds milliseconds, so sub-millisecond nanos are dropped (floored); use
 * timestampToEpochNanos when they matter. Throws a DecodeError beyond the Date range (±8.64e15 ms).
 */
export function timestampToDate(timestamp: FeastTimestamp): Date {
  const ms = timestamp.seconds * 1000n + BigInt(Math.floor(timestamp.nanos / 1_000_000));
  if (ms > BigInt(MAX_DATE_MS) || ms < -BigInt(MAX_DATE_MS)) {
    throw decodeError(WHAT, undefined, `${timestamp.seconds} s is outside the range of a JavaScript Date`);
  }
  return new Date(Number(ms));
}

/** Nanoseconds since the epoch, exact. */
export function timestampToEpochNanos(timestamp: FeastTimestamp): bigint {
  return timestamp.seconds * NANOS_PER_SECOND + BigInt(timestamp.nanos);
}

/** The Timestamp of nanoseconds since the epoch (floor division: nanos stay non-negative). */
export function timestampFromEpochNanos(epochNanos: bigint): FeastTimestamp {
  let seconds = epochNanos / NANOS_PER_SECOND;
  let nanos = epochNanos % NANOS_PER_SECOND;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += NANOS_PER_SECOND;
  }
  return { seconds, nanos: Number(nanos) };
}

/**
 * `timestampToDate(decodeTimestamp(bytes))`, without the protobuf runtime for the usual encoding (seconds then
 * nanos, non-negative, each at most once). Anything else takes the general path, so answers and errors are
 * the same. Empty bytes are the epoch.
 */
export function decodeTimestampToDate(bytes: Uint8Array, ctx?: DecodeContext): Date {
  let pos = 0;
  let seconds = 0;
  let nanos = 0;
  let field = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++]!;
    if ((tag !== 0x08 && tag !== 0x10) || tag >> 3 <= field)
      return timestampToDate(decodeTimestamp(bytes, ctx));
    field = tag >> 3;
    // A varint of at most 7 bytes (< 2^49): always exact in a double; longer ones take the general path.
    let value = 0;
    let scale = 1;
    let done = false;
    for (let i = 0; i < 7 && pos < bytes.length; i++) {
      const byte = bytes[pos++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) return timestampToDate(decodeTimestamp(bytes, ctx));
    if (field === 1) seconds = value;
    else nanos = value;
  }
  const ms = seconds * 1000 + Math.floor(nanos / 1_000_000);
  if (nanos >= 1e9 || ms > MAX_DATE_MS) return timestampToDate(decodeTimestamp(bytes, ctx));
  return new Date(ms);
}

/**
 * µs since the epoch of Timestamp bytes (nanoseconds floored), as a number: exact while it is below 2^53 µs
 * (until the year 2255; beyond, the nearest double). Empty bytes are the epoch. Corrupt bytes throw a
 * DecodeError. What TTL checks compare, so that a value written 1 µs past a TTL boundary is outside it.
 */
export function decodeTimestampMicros(bytes: Uint8Array, ctx?: DecodeContext): number {
  let pos = 0;
  let seconds = 0;
  let nanos = 0;
  let field = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos++]!;
    if ((tag !== 0x08 && tag !== 0x10) || tag >> 3 <= field) return generalMicros(bytes, ctx);
    field = tag >> 3;
    let value = 0;
    let scale = 1;
    let done = false;
    for (let i = 0; i < 7 && pos < bytes.length; i++) {
      const byte = bytes[pos++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) return generalMicros(bytes, ctx);
    if (field === 1) seconds = value;
    else nanos = value;
  }
  const micros = seconds * 1_000_000 + Math.floor(nanos / 1000);
  if (nanos >= 1e9 || !Number.isSafeInteger(micros)) return generalMicros(bytes, ctx);
  return micros;
}

function generalMicros(bytes: Uint8Array, ctx: DecodeContext | undefined): number {
  const { seconds, nanos } = decodeTimestamp(bytes, ctx);
  return Number(seconds * 1_000_000n + BigInt(Math.floor(nanos / 1000)));
}
