/**
 * A hand-written decoder for the hot cases of `feast.types.Value`: the scalars (bytes, string, int32, int64,
 * double, float, bool, unix timestamp) and their lists, in the encoding Feast writes (one field spanning the
 * whole message; numeric lists packed, string and bytes lists as repeated fields). It parses the protobuf wire
 * format directly instead of going through `fromBinary`, which allocates a message, a reader and a oneof per
 * value.
 *
 * The contract: `fastDecodeValue(bytes, ctx)` returns exactly what `decodeValue(bytes, ctx)` returns, and throws
 * exactly what it throws. Anything this decoder does not recognise, or anything slightly unusual (a second field,
 * unknown fields, unpacked numeric lists, a varint longer than it should be, invalid UTF-8, a timestamp a Date
 * cannot hold, truncated bytes), is handed to `decodeValue`, so corrupt bytes end in the same DecodeError.
 * Maps, sets, JSON, structs, uuids, decimals, nested lists and zoned timestamps always go to `decodeValue`.
 */
import type { DecodeContext } from './errors';
import { decodeValue, type FeastValue } from './value';

/** Returned by the parsers below when `decodeValue` must decide. */
const SLOW: unique symbol = Symbol('slow');
type Slow = typeof SLOW;

const INT64_MIN_HI = 0x80000000;
const MAX_DATE_SECONDS = 8_640_000_000_000;
const TWO_32 = 4294967296;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Reader state: module-level, as the decoder is synchronous and never re-entered.
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let lo = 0;
let hi = 0;

// Floats are read by copying their bytes into a scratch buffer (cheaper than a DataView per value); protobuf is
// little-endian, so this needs a little-endian platform, else a DataView does it.
const scratch = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratch);
const scratchF32 = new Float32Array(scratch);
const scratchF64 = new Float64Array(scratch);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function float32At(at: number): number {
  if (!LITTLE_ENDIAN) return new DataView(buf.buffer, buf.byteOffset + at, 4).getFloat32(0, true);
  scratchBytes[0] = buf[at]!;
  scratchBytes[1] = buf[at + 1]!;
  scratchBytes[2] = buf[at + 2]!;
  scratchBytes[3] = buf[at + 3]!;
  return scratchF32[0]!;
}

function float64At(at: number): number {
  if (!LITTLE_ENDIAN) return new DataView(buf.buffer, buf.byteOffset + at, 8).getFloat64(0, true);
  for (let i = 0; i < 8; i++) scratchBytes[i] = buf[at + i]!;
  return scratchF64[0]!;
}

/** Decodes Value bytes into their TypeScript value, as decodeValue does (an empty Value is null). */
export function fastDecodeValue(bytes: Uint8Array, ctx?: DecodeContext): FeastValue {
  if (bytes.length === 0) return null;
  buf = bytes;
  pos = 0;
  let value: FeastValue | Slow;
  try {
    value = parseValue(bytes.length);
  } catch {
    value = SLOW;
  }
  buf = EMPTY;
  return value === SLOW ? decodeValue(bytes, ctx) : value;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads a varint at `pos` into lo/hi (low and high 32 bits, unsigned). False when it runs past `end`, is
 * longer than 10 bytes, or its 10th byte carries more than the 64th bit.
 */
function varint(end: number): boolean {
  let b = 0;
  lo = 0;
  hi = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return false;
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      lo >>>= 0;
      return true;
    }
  }
  if (pos >= end) return false;
  b = buf[pos++]!;
  lo = (lo | ((b & 0x0f) << 28)) >>> 0;
  hi = (b & 0x70) >> 4;
  if (b < 0x80) return true;
  for (let shift = 3; shift <= 31; shift += 7) {
    if (pos >= end) return false;
    b = buf[pos++]!;
    if (shift === 31) {
      if (b > 1) return false;
      hi = (hi | (b << 31)) >>> 0;
      return true;
    }
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      hi >>>= 0;
      return true;
    }
  }
  return false;
}

/** lo/hi as a signed int64 bigint. */
function int64(): bigint {
  const high = hi | 0;
  // |value| < 2^53: exact as a number.
  if (high >= -0x200000 && high < 0x200000) return BigInt(high * TWO_32 + lo);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/** lo/hi as unix seconds → Date; null for Feast's null timestamp; SLOW when a Date cannot hold it. */
function date(): Date | null | Slow {
  if (hi === INT64_MIN_HI && lo === 0) return null;
  const high = hi | 0;
  if (high < -0x200000 || high >= 0x200000) return SLOW;
  const seconds = high * TWO_32 + lo;
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return SLOW;
  return new Date(seconds * 1000);
}

/** A length prefix at `pos`; the end offset of the data, or -1 when it does not fit before `end`. */
function lengthDelimited(end: number): number {
  if (!varint(end) || hi !== 0) return -1;
  const stop = pos + lo;
  return stop > end ? -1 : stop;
}

function string(start: number, stop: number): string {
  let ascii = true;
  for (let i = start; i < stop; i++) {
    if (buf[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const len = stop - start;
    if (len === 0) return '';
    if (len <= 64) return String.fromCharCode(...buf.subarray(start, stop));
  }
  // Throws on invalid UTF-8 (caught by fastDecodeValue: decodeValue decides). Valid UTF-8 decodes the same
  // strictly or not.
  return strictUtf8.decode(buf.subarray(start, stop));
}

function parseValue(end: number): FeastValue | Slow {
  // Tag: fields 1..15 take one byte, 16..2047 two.
  let tag = buf[pos++]!;
  if (tag >= 0x80) {
    if (pos >= end) return SLOW;
    const second = buf[pos++]!;
    if (second >= 0x80) return SLOW;
    tag = (tag & 0x7f) | (second << 7);
  }
  const field = tag >>> 3;
  const wireType = tag & 7;
  let value: FeastValue | Slow;
  switch (field) {
    case 1: // bytes_val
    case 2: {
      // string_val
      if (wireType !== 2) return SLOW;
      const stop = lengthDelimited(end);
      if (stop < 0) return SLOW;
      value = field === 1 ? buf.subarray(pos, stop).slice() : string(pos, stop);
      pos = stop;
      break;
    }
    case 3: // int32_val
      if (wireType !== 0 || !varint(end)) return SLOW;
      value = lo | 0;
      break;
    case 4: // int64_val
      if (wireType !== 0 || !varint(end)) return SLOW;
      value = int64();
      break;
    case 5: // double_val
      if (wireType !== 1 || pos + 8 > end) return SLOW;
      value = float64At(pos);
      pos += 8;
      break;
    case 6: // float_val
      if (wireType !== 5 || pos + 4 > end) return SLOW;
      value = float32At(pos);
      pos += 4;
      break;
    case 7: // bool_val
      if (wireType !== 0 || !varint(end)) return SLOW;
      value = lo !== 0 || hi !== 0;
      break;
    case 8: // unix_timestamp_val
      if (wireType !== 0 || !varint(end)) return SLOW;
      value = date();
      break;
    case 11: // bytes_list_val
    case 12: // string_list_val
    case 13: // int32_list_val
    case 14: // int64_list_val
    case 15: // double_list_val
    case 16: // float_list_val
    case 17: // bool_list_val
    case 18: {
      // unix_timestamp_list_val
      if (wireType !== 2) return SLOW;
      const stop = lengthDelimited(end);
      if (stop < 0) return SLOW;
      value = field <= 12 ? parseRepeatedLengthDelimited(field, stop) : parsePacked(field, stop);
      if (value !== SLOW) pos = stop;
      break;
    }
    default:
      return SLOW;
  }
  // Exactly one field, spanning the whole message; anything after it is decodeValue's business.
  return pos === end ? value : SLOW;
}

/** BytesList / StringList: `repeated bytes|string val = 1`, each element its own tag 0x0a. */
function parseRepeatedLengthDelimited(field: number, end: number): FeastValue[] | Slow {
  const out: FeastValue[] = [];
  while (pos < end) {
    if (buf[pos++] !== 0x0a) return SLOW;
    const stop = lengthDelimited(end);
    if (stop < 0) return SLOW;
    out.push(field === 11 ? buf.subarray(pos, stop).slice() : string(pos, stop));
    pos = stop;
  }
  return out;
}

/** Int32/Int64/Double/Float/Bool lists (and unix timestamps): `repeated <scalar> val = 1`, packed. */
function parsePacked(field: number, end: number): FeastValue[] | Slow {
  const out: FeastValue[] = [];
  while (pos < end) {
    // One packed run after another (protobuf concatenates them); an unpacked element goes to decodeValue.
    if (buf[pos++] !== 0x0a) return SLOW;
    const stop = lengthDelimited(end);
    if (stop < 0) return SLOW;
    switch (field) {
      case 13:
        while (pos < stop) {
          if (!varint(stop)) return SLOW;
          out.push(lo | 0);
        }
        break;
      case 14:
        while (pos < stop) {
          if (!varint(stop)) return SLOW;
          out.push(int64());
        }
        break;
      case 15: {
        if ((stop - pos) % 8 !== 0) return SLOW;
        for (; pos < stop; pos += 8) out.push(float64At(pos));
        break;
      }
      case 16: {
        if ((stop - pos) % 4 !== 0) return SLOW;
        for (; pos < stop; pos += 4) out.push(float32At(pos));
        break;
      }
      case 17:
        while (pos < stop) {
          if (!varint(stop)) return SLOW;
          out.push(lo !== 0 || hi !== 0);
        }
        break;
      default:
        while (pos < stop) {
          if (!varint(stop)) return SLOW;
          const d = date();
          if (d === SLOW) return SLOW;
          out.push(d);
        }
    }
  }
  return out;
}
