/**
 * A streaming decoder of PostgreSQL's COPY BINARY output into Arrow record batches.
 *
 * Speed is the point: a historical retrieval can return millions of rows. So values go straight from the wire
 * into typed arrays that become the Arrow buffers without a copy (`makeData`): no JS string, number object or
 * row object is made per value. Text stays UTF-8 bytes (PostgreSQL sends it in the client encoding, which
 * node-postgres sets to UTF8, and it is not validated again); 64-bit values never go through a JS BigInt
 * that outlives a store.
 *
 * Chunks can split the stream anywhere. Whole tuples are decoded in place from the chunk; only an incomplete
 * tail is copied aside, together with just enough bytes of the following chunks to complete it, so a stream is
 * never concatenated. Before a tuple is decoded its field lengths are checked against the bytes at hand, which
 * means a tuple is never half written into the builders, and no read can go past the end of a chunk.
 *
 * Timestamps: PostgreSQL's ±infinity (the int64 extremes) stay the int64 extremes; a finite timestamp too late
 * for µs since 1970 in an int64 (after 294247-01-10) is a DecodeError rather than a wrapped-around value.
 * Dates: ±infinity stay the int32 extremes.
 */
import { DecodeError } from '@mlops/core';
import {
  type Data,
  type DataType,
  type Int,
  type List,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  type Utf8,
} from 'apache-arrow';
import {
  arrayElementOid,
  arrowSchemaForPg,
  Kind,
  type PgColumn,
  pgTypeName,
  scalarKind,
} from './pg-copy-types';

/** `PGCOPY\n\xff\r\n\0`, the first 11 bytes of every COPY BINARY stream. */
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/** Flag bits a reader must understand: 0-15 are reserved for format changes, 16 means each row carries an OID. */
const CRITICAL_FLAGS = 0x0001ffff;

const DEFAULT_BATCH_ROWS = 65536;
/** Rows the first batch has room for before it grows; later batches start at their full size. */
const FIRST_CAPACITY = 2048;
/** Arrow's Utf8 and Binary offsets are int32: a batch's bytes must stay below 2 GiB. */
const MAX_BYTES = 0x7fffffff;
/** Tuples located before their columns are decoded: enough to amortise the column loops, small enough to stay in cache. */
const RUN_ROWS = 1024;

/** PostgreSQL counts time from 2000-01-01; Arrow from 1970-01-01. The difference, as two 32-bit halves of µs. */
const EPOCH_SHIFT_HI = 220417;
const EPOCH_SHIFT_LO = 993517568;
const EPOCH_SHIFT_DAYS = 10957;
const TWO_32 = 4294967296;
const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

// Int64 halves are written through an Int32Array view; which half comes first depends on the platform.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

const STATE_SIGNATURE = 0;
const STATE_HEADER = 1;
const STATE_EXTENSION = 2;
const STATE_TUPLES = 3;
const STATE_DONE = 4;

/** A problem with one value, turned into a DecodeError naming the column and the row by the decoder. */
class FieldError extends Error {
  /** The row within the batch, once known. */
  row = -1;
  constructor(
    readonly column: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One column being filled: the fixed-width values in `data` (seen through whichever typed view its kind
 * uses), or UTF-8/binary bytes with their offsets, or list offsets and a child builder for the elements.
 * All builders have the same shape so that the decode loop sees one hidden class.
 */
class Builder {
  readonly kind: Kind;
  readonly name: string;
  readonly type: DataType;
  /** The PostgreSQL type of the values, for messages; for a list builder, of the array. */
  readonly oid: number;
  /** For a list: the element type oid every array must declare, and the elements' builder. */
  readonly elementOid: number;
  readonly child: Builder | null;

  /** Values this builder has room for, and (for list children only) how many it holds. */
  capacity = 0;
  count = 0;
  data: ArrayBuffer = new ArrayBuffer(0);
  u8: Uint8Array = new Uint8Array(0);
  i32: Int32Array = new Int32Array(0);
  f32: Float32Array = new Float32Array(0);
  f64: Float64Array = new Float64Array(0);
  b64: BigInt64Array = new BigInt64Array(0);
  /** Value offsets of bytes kinds and lists: capacity + 1 entries. */
  offsets: Int32Array = new Int32Array(1);
  bytes: Uint8Array = new Uint8Array(0);
  byteLength = 0;
  /** Indexes of the null values, in order; the validity bitmap is built from them when the batch is done. */
  nulls: Int32Array = new Int32Array(16);
  nullCount = 0;

  constructor(name: string, oid: number, type: DataType) {
    this.name = name;
    this.oid = oid;
    this.type = type;
    const element = arrayElementOid(oid);
    if (element !== undefined) {
      this.kind = Kind.LIST;
      this.elementOid = element;
      this.child = new Builder(name, element, (type as List).valueType);
    } else {
      this.kind = scalarKind(oid)!;
      this.elementOid = 0;
      this.child = null;
    }
  }

  /** Fresh buffers for `capacity` values (the previous ones now belong to a batch). */
  reset(capacity: number): void {
    this.capacity = capacity;
    this.count = 0;
    this.nullCount = 0;
    this.setData(new ArrayBuffer(fixedBytes(this.kind, capacity)));
    if (hasOffsets(this.kind)) this.offsets = new Int32Array(capacity + 1);
    if (isBytesKind(this.kind)) {
      // Sized on what the last batch used (not on its capacity, which one huge value may have blown up).
      this.bytes = new Uint8Array(
        Math.max(1024, Math.min(MAX_BYTES, this.byteLength + (this.byteLength >> 3))),
      );
      this.byteLength = 0;
    }
    // A list's child is reset by its own finish(); here only the first time.
    if (this.child && this.child.capacity === 0) this.child.reset(1024);
  }

  /** Room for at least `needed` values, keeping those written. */
  grow(needed: number): void {
    let capacity = Math.max(this.capacity * 2, 256);
    while (capacity < needed) capacity *= 2;
    this.resize(capacity);
  }

  resize(capacity: number): void {
    const data = new ArrayBuffer(fixedBytes(this.kind, capacity));
    new Uint8Array(data).set(this.u8);
    this.setData(data);
    if (hasOffsets(this.kind)) {
      const offsets = new Int32Array(capacity + 1);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    this.capacity = capacity;
  }

  growBytes(needed: number): void {
    if (needed > MAX_BYTES) {
      throw new FieldError(
        this.name,
        'more than 2 GiB of values in one batch; decode with a smaller batchRows option',
      );
    }
    const bytes = new Uint8Array(Math.min(MAX_BYTES, Math.max(needed, this.bytes.length * 2)));
    bytes.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = bytes;
  }

  addNull(index: number): void {
    if (this.nullCount === this.nulls.length) {
      const nulls = new Int32Array(this.nulls.length * 2);
      nulls.set(this.nulls);
      this.nulls = nulls;
    }
    this.nulls[this.nullCount++] = index;
    // Fixed-width slots of a fresh buffer are already zero; a null string or list is empty.
    if (this.kind === Kind.LIST) this.offsets[index + 1] = this.child!.count;
    else if (hasOffsets(this.kind)) this.offsets[index + 1] = this.byteLength;
  }

  /** The Arrow data of the first `length` values; the builder then starts over with fresh buffers. */
  finish(length: number, nextCapacity: number): Data {
    const { kind } = this;
    const nullCount = this.nullCount;
    const nullBitmap = nullCount > 0 ? this.validity(length) : undefined;
    let data: Data;
    if (kind === Kind.LIST) {
      const child = this.child!;
      data = makeData({
        type: this.type as List,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: trimmed(this.offsets, length + 1),
        child: child.finish(child.count, Math.max(1024, child.count + (child.count >> 3))),
      });
    } else if (isBytesKind(kind)) {
      data = makeData({
        type: this.type as Utf8,
        length,
        nullCount,
        nullBitmap,
        valueOffsets: trimmed(this.offsets, length + 1),
        data: trimmed(this.bytes, this.byteLength),
      });
    } else {
      let values: Uint8Array | Int32Array | Float32Array | Float64Array | BigInt64Array;
      if (kind === Kind.BOOL) values = trimmed(this.u8, (length + 7) >> 3);
      else if (kind === Kind.FLOAT4) values = trimmed(this.f32, length);
      else if (kind === Kind.FLOAT8 || kind === Kind.NUMERIC) values = trimmed(this.f64, length);
      else if (kind === Kind.INT8 || kind === Kind.TIMESTAMP) {
        const words = trimmed(this.i32, length * 2);
        values = new BigInt64Array(words.buffer, words.byteOffset, length);
      } else values = trimmed(this.i32, length);
      // A fixed-width type of any kind: the cast only picks one of makeData's overloads, all alike here.
      data = makeData({ type: this.type as Int, length, nullCount, nullBitmap, data: values as Int32Array });
    }
    this.reset(nextCapacity);
    return data;
  }

  private validity(length: number): Uint8Array {
    const bitmap = new Uint8Array((length + 7) >> 3).fill(0xff);
    const nulls = this.nulls;
    for (let k = 0; k < this.nullCount; k++) {
      const index = nulls[k]!;
      bitmap[index >> 3]! &= ~(1 << (index & 7));
    }
    return bitmap;
  }

  private setData(data: ArrayBuffer): void {
    this.data = data;
    this.u8 = new Uint8Array(data);
    // Typed views need a whole number of elements: bool and empty buffers only use the bytes.
    const words = data.byteLength >> 2;
    this.i32 = new Int32Array(data, 0, words);
    this.f32 = new Float32Array(data, 0, words);
    this.f64 = new Float64Array(data, 0, data.byteLength >> 3);
    this.b64 = new BigInt64Array(data, 0, data.byteLength >> 3);
  }
}

function isBytesKind(kind: Kind): boolean {
  return kind === Kind.BYTES || kind === Kind.JSONB || kind === Kind.UUID;
}

function hasOffsets(kind: Kind): boolean {
  return kind === Kind.LIST || isBytesKind(kind);
}

/** Bytes of fixed-width storage for `capacity` values of a kind. */
function fixedBytes(kind: Kind, capacity: number): number {
  switch (kind) {
    case Kind.BOOL:
      return ((capacity + 63) >> 6) << 3;
    case Kind.INT2:
    case Kind.INT4:
    case Kind.DATE:
    case Kind.FLOAT4:
      return capacity * 4;
    case Kind.INT8:
    case Kind.TIMESTAMP:
    case Kind.FLOAT8:
    case Kind.NUMERIC:
      return capacity * 8;
    default:
      return 0;
  }
}

/**
 * The first `length` elements. A view when the buffer is mostly used; a copy when most of it is spare room
 * (the last, short batch), so that a small batch does not keep a large buffer alive.
 */
function trimmed<T extends Int32Array | Float32Array | Float64Array | Uint8Array>(
  array: T,
  length: number,
): T {
  return (length * 2 < array.length ? array.slice(0, length) : array.subarray(0, length)) as T;
}

// Hex digits of every byte, for writing uuids as text without making a string.
const HEX = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0');
  HEX[2 * b] = digits.charCodeAt(0);
  HEX[2 * b + 1] = digits.charCodeAt(1);
}

/** Past 294247-01-10, µs since 1970 no longer fit an int64 (and the last one stands for +infinity). */
function timestampTooLate(c: Builder): FieldError {
  return new FieldError(c.name, 'a timestamp after 294247-01-10, beyond what Arrow µs timestamps hold');
}

function lengthError(c: Builder, len: number, expected: string): FieldError {
  return new FieldError(c.name, `a ${pgTypeName(c.oid)} value of ${len} bytes (expected ${expected})`);
}

/** Decodes one non-null value of `len` bytes at `q` into slot `i` of `c`. The bytes are known to be there. */
function writeValue(c: Builder, i: number, buf: Uint8Array, view: DataView, q: number, len: number): void {
  switch (c.kind) {
    case Kind.INT8:
      if (len !== 8) throw lengthError(c, len, '8');
      c.b64[i] = view.getBigInt64(q);
      return;
    case Kind.FLOAT8:
      if (len !== 8) throw lengthError(c, len, '8');
      c.f64[i] = view.getFloat64(q);
      return;
    case Kind.TIMESTAMP: {
      if (len !== 8) throw lengthError(c, len, '8');
      let hi = view.getInt32(q);
      let lo = view.getUint32(q + 4);
      // ±infinity (the int64 extremes) stay the int64 extremes rather than wrap around.
      if (!((hi === INT32_MAX && lo === 0xffffffff) || (hi === INT32_MIN && lo === 0))) {
        lo += EPOCH_SHIFT_LO;
        hi += EPOCH_SHIFT_HI;
        if (lo >= TWO_32) {
          lo -= TWO_32;
          hi += 1;
        }
        if (hi > INT32_MAX || (hi === INT32_MAX && lo === 0xffffffff)) throw timestampTooLate(c);
      }
      const i32 = c.i32;
      i32[2 * i + HI] = hi;
      i32[2 * i + LO] = lo;
      return;
    }
    case Kind.BYTES: {
      const start = c.byteLength;
      const end = start + len;
      if (end > c.bytes.length) c.growBytes(end);
      copyBytes(c.bytes, start, buf, q, len);
      c.byteLength = end;
      c.offsets[i + 1] = end;
      return;
    }
    case Kind.INT4:
      if (len !== 4) throw lengthError(c, len, '4');
      c.i32[i] = view.getInt32(q);
      return;
    case Kind.INT2:
      if (len !== 2) throw lengthError(c, len, '2');
      c.i32[i] = view.getInt16(q);
      return;
    case Kind.FLOAT4:
      if (len !== 4) throw lengthError(c, len, '4');
      c.f32[i] = view.getFloat32(q);
      return;
    case Kind.BOOL:
      if (len !== 1) throw lengthError(c, len, '1');
      if (buf[q] !== 0) c.u8[i >> 3]! |= 1 << (i & 7);
      return;
    case Kind.DATE: {
      if (len !== 4) throw lengthError(c, len, '4');
      const days = view.getInt32(q);
      c.i32[i] = days === INT32_MAX || days === INT32_MIN ? days : days + EPOCH_SHIFT_DAYS;
      return;
    }
    case Kind.NUMERIC:
      c.f64[i] = numericValue(c, view, q, len);
      return;
    case Kind.JSONB: {
      if (len < 1) throw lengthError(c, len, 'at least 1');
      if (buf[q] !== 1)
        throw new FieldError(c.name, `jsonb format version ${buf[q]} (only version 1 is known)`);
      const start = c.byteLength;
      const end = start + len - 1;
      if (end > c.bytes.length) c.growBytes(end);
      copyBytes(c.bytes, start, buf, q + 1, len - 1);
      c.byteLength = end;
      c.offsets[i + 1] = end;
      return;
    }
    case Kind.UUID: {
      if (len !== 16) throw lengthError(c, len, '16');
      let at = c.byteLength;
      if (at + 36 > c.bytes.length) c.growBytes(at + 36);
      const out = c.bytes;
      for (let k = 0; k < 16; k++) {
        if (k === 4 || k === 6 || k === 8 || k === 10) out[at++] = 0x2d;
        const b = buf[q + k]!;
        out[at++] = HEX[2 * b]!;
        out[at++] = HEX[2 * b + 1]!;
      }
      c.byteLength = at;
      c.offsets[i + 1] = at;
      return;
    }
    case Kind.LIST:
      writeArray(c, i, buf, view, q, len);
      return;
  }
}

/**
 * Values `starts[r * stride + j]` (r < count) of one column into rows `first + r`. Each common kind has its own
 * tight loop; the rest go value by value through writeValue. A FieldError gets the row it happened in.
 */
function decodeColumn(
  c: Builder,
  j: number,
  stride: number,
  first: number,
  count: number,
  starts: Int32Array,
  buf: Uint8Array,
  view: DataView,
): void {
  let r = 0;
  try {
    switch (c.kind) {
      case Kind.INT8: {
        // getBigInt64 into a BigInt64Array measured a little faster than two 32-bit halves (no BigInt is
        // allocated once optimised); timestamps, which need an addition, stay with halves (faster there).
        const b64 = c.b64;
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q < 0) {
            c.addNull(first + r);
            continue;
          }
          if (view.getInt32(q - 4) !== 8) throw lengthError(c, view.getInt32(q - 4), '8');
          b64[first + r] = view.getBigInt64(q);
        }
        return;
      }
      case Kind.TIMESTAMP: {
        const i32 = c.i32;
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q < 0) {
            c.addNull(first + r);
            continue;
          }
          if (view.getInt32(q - 4) !== 8) throw lengthError(c, view.getInt32(q - 4), '8');
          let hi = view.getInt32(q);
          let lo = view.getUint32(q + 4);
          if (!((hi === INT32_MAX && lo === 0xffffffff) || (hi === INT32_MIN && lo === 0))) {
            lo += EPOCH_SHIFT_LO;
            hi += EPOCH_SHIFT_HI;
            if (lo >= TWO_32) {
              lo -= TWO_32;
              hi += 1;
            }
            if (hi > INT32_MAX || (hi === INT32_MAX && lo === 0xffffffff)) throw timestampTooLate(c);
          }
          const at = 2 * (first + r);
          i32[at + HI] = hi;
          i32[at + LO] = lo;
        }
        return;
      }
      case Kind.FLOAT8: {
        const f64 = c.f64;
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q < 0) {
            c.addNull(first + r);
            continue;
          }
          if (view.getInt32(q - 4) !== 8) throw lengthError(c, view.getInt32(q - 4), '8');
          f64[first + r] = view.getFloat64(q);
        }
        return;
      }
      case Kind.INT4: {
        const i32 = c.i32;
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q < 0) {
            c.addNull(first + r);
            continue;
          }
          if (view.getInt32(q - 4) !== 4) throw lengthError(c, view.getInt32(q - 4), '4');
          i32[first + r] = view.getInt32(q);
        }
        return;
      }
      case Kind.BYTES: {
        const offsets = c.offsets;
        let bytes = c.bytes;
        let at = c.byteLength;
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q >= 0) {
            const len = view.getInt32(q - 4);
            if (at + len > bytes.length) {
              c.byteLength = at;
              c.growBytes(at + len);
              bytes = c.bytes;
            }
            if (len < 48) {
              for (let k = 0; k < len; k++) bytes[at + k] = buf[q + k]!;
            } else {
              bytes.set(buf.subarray(q, q + len), at);
            }
            at += len;
          } else {
            c.byteLength = at;
            c.addNull(first + r);
          }
          offsets[first + r + 1] = at;
        }
        c.byteLength = at;
        return;
      }
      default:
        for (; r < count; r++) {
          const q = starts[r * stride + j]!;
          if (q < 0) c.addNull(first + r);
          else writeValue(c, first + r, buf, view, q, view.getInt32(q - 4));
        }
    }
  } catch (error) {
    if (error instanceof FieldError) error.row = first + r;
    throw error;
  }
}

/** Short values are copied byte by byte: cheaper than making the subarray that `set` needs. */
function copyBytes(out: Uint8Array, at: number, buf: Uint8Array, q: number, len: number): void {
  if (len < 48) {
    for (let k = 0; k < len; k++) out[at + k] = buf[q + k]!;
  } else {
    out.set(buf.subarray(q, q + len), at);
  }
}

/** A one-dimensional array (or a zero-dimensional one, which is empty) into list slot `i`. */
function writeArray(c: Builder, i: number, buf: Uint8Array, view: DataView, q: number, len: number): void {
  if (len < 12) throw lengthError(c, len, 'at least 12');
  const ndim = view.getInt32(q);
  const elementOid = view.getInt32(q + 8);
  const child = c.child!;
  if (ndim === 0) {
    if (len !== 12) throw new FieldError(c.name, `an empty array with ${len - 12} extra bytes`);
    c.offsets[i + 1] = child.count;
    return;
  }
  if (ndim > 1) {
    throw new FieldError(
      c.name,
      `an array of ${ndim} dimensions; only one-dimensional arrays become lists. ` +
        'Unnest it or cast it to text in the source query',
    );
  }
  if (ndim < 0) throw new FieldError(c.name, `an array with ${ndim} dimensions`);
  if (elementOid !== c.elementOid) {
    throw new FieldError(
      c.name,
      `an array of ${pgTypeName(elementOid)} where the column is ${pgTypeName(c.oid)}`,
    );
  }
  if (len < 20) throw lengthError(c, len, 'at least 20');
  const size = view.getInt32(q + 12);
  const end = q + len;
  let e = q + 20;
  // Every element takes at least its 4-byte length, which bounds the size before anything is allocated.
  if (size < 0 || size > (end - e) / 4)
    throw new FieldError(c.name, `an array of ${size} elements in ${len} bytes`);
  let k = child.count;
  if (k + size > child.capacity) child.grow(k + size);
  for (let n = 0; n < size; n++, k++) {
    if (end - e < 4) throw new FieldError(c.name, 'an array whose elements run past its end');
    const elementLen = view.getInt32(e);
    e += 4;
    child.count = k;
    if (elementLen === -1) {
      child.addNull(k);
    } else {
      if (elementLen < 0 || elementLen > end - e) {
        throw new FieldError(c.name, `an array element of ${elementLen} bytes`);
      }
      writeValue(child, k, buf, view, e, elementLen);
      e += elementLen;
    }
  }
  child.count = k;
  if (e !== end) throw new FieldError(c.name, `an array with ${end - e} bytes after its elements`);
  c.offsets[i + 1] = k;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Above this, another base-10000 digit could take the mantissa past 2^53, where it stops being exact. */
const MAX_EXACT_MANTISSA = Math.floor((2 ** 53 - 9999) / 10000);

/**
 * A numeric as the nearest double, exactly as parsing its decimal text would give. When the digits make an
 * integer below 2^53 and the power of ten is at most 10^22, both are exact doubles and one multiplication or
 * division rounds correctly; otherwise the decimal text is built and parsed.
 */
function numericValue(c: Builder, view: DataView, q: number, len: number): number {
  if (len < 8) throw lengthError(c, len, 'at least 8');
  const ndigits = view.getInt16(q);
  const weight = view.getInt16(q + 2);
  const sign = view.getUint16(q + 4);
  if (ndigits < 0 || len !== 8 + 2 * ndigits) throw lengthError(c, len, `8 + 2 × ${ndigits} digits`);
  switch (sign) {
    case 0x0000:
    case 0x4000:
      break;
    case 0xc000:
      return Number.NaN;
    case 0xd000:
      return Number.POSITIVE_INFINITY;
    case 0xf000:
      return Number.NEGATIVE_INFINITY;
    default:
      throw new FieldError(c.name, `a numeric with sign word 0x${sign.toString(16)}`);
  }
  let mantissa = 0;
  let k = 0;
  for (; k < ndigits; k++) {
    const digit = view.getUint16(q + 8 + 2 * k);
    if (digit > 9999) throw new FieldError(c.name, `a numeric digit ${digit} (base-10000 digits are 0-9999)`);
    if (mantissa > MAX_EXACT_MANTISSA) break;
    mantissa = mantissa * 10000 + digit;
  }
  let value: number;
  const exponent = 4 * (weight - ndigits + 1);
  if (k === ndigits && exponent >= -22 && exponent <= 22) {
    value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
  } else {
    let text = '';
    for (let d = 0; d < ndigits; d++) {
      const digit = view.getUint16(q + 8 + 2 * d);
      if (digit > 9999)
        throw new FieldError(c.name, `a numeric digit ${digit} (base-10000 digits are 0-9999)`);
      text += d === 0 ? String(digit) : String(digit + 10000).slice(1);
    }
    value = Number(`${text}e${exponent}`);
  }
  return sign === 0x4000 ? -value : value;
}

export interface CopyBinaryDecoderOptions {
  /** Rows per record batch (the last may have fewer). Default 65536. */
  batchRows?: number;
  /** Where the bytes come from (a query, a table), for error messages. */
  source?: string;
}

export class CopyBinaryDecoder {
  readonly schema: Schema;
  private readonly struct: Struct;
  private readonly builders: Builder[];
  private readonly batchRows: number;
  private readonly source: string | undefined;

  private state = STATE_SIGNATURE;
  private extensionLeft = 0;
  /** Rows in the batch being filled, and the room its builders have. */
  private row = 0;
  private rowCapacity: number;
  private total = 0;
  private out: RecordBatch[] = [];

  /** An incomplete piece (a tuple, the header) carried to the next chunk, and how many bytes it needs in all. */
  private carry = new Uint8Array(0);
  private carryLength = 0;
  private need = 0;
  /** For the tuples of a run: where each value starts in the chunk (-1 for null), row by row. */
  private readonly starts: Int32Array;

  private failure: unknown = undefined;
  private ended = false;

  constructor(columns: readonly PgColumn[], options: CopyBinaryDecoderOptions = {}) {
    const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    if (!Number.isInteger(batchRows) || batchRows < 1) {
      throw new RangeError(`batchRows must be a positive integer, not ${batchRows}`);
    }
    this.batchRows = batchRows;
    this.source = options.source;
    this.schema = arrowSchemaForPg(columns);
    this.struct = new Struct(this.schema.fields);
    this.builders = columns.map(
      (column, j) => new Builder(column.name, column.typeOid, this.schema.fields[j]!.type),
    );
    this.starts = new Int32Array(RUN_ROWS * columns.length);
    this.rowCapacity = Math.min(batchRows, FIRST_CAPACITY);
    for (const builder of this.builders) builder.reset(this.rowCapacity);
  }

  /** Rows decoded so far, in all batches including the one being filled. */
  get rowCount(): number {
    return this.total;
  }

  push(chunk: Uint8Array): RecordBatch[] {
    this.checkUsable();
    const out: RecordBatch[] = [];
    this.out = out;
    const length = chunk.length;
    let off = 0;
    try {
      // First complete the carried piece, taking from this chunk only the bytes it is known to need.
      while (this.carryLength > 0 && off < length) {
        const take = Math.min(this.need - this.carryLength, length - off);
        this.appendCarry(chunk, off, take);
        off += take;
        if (this.carryLength < this.need) break;
        const used = this.process(this.carry, 0, this.carryLength);
        if (used > 0) {
          this.carry.copyWithin(0, used, this.carryLength);
          this.carryLength -= used;
        }
      }
      if (off < length) {
        const used = this.process(chunk, off, length);
        // Copied, not kept as a view: the caller may reuse its chunk buffer.
        if (used < length) this.appendCarry(chunk, used, length - used);
      }
    } catch (error) {
      this.failure = this.wrap(error);
      throw this.failure;
    }
    return out;
  }

  end(): RecordBatch[] {
    this.checkUsable();
    this.ended = true;
    if (this.state !== STATE_DONE) {
      const where =
        this.state === STATE_TUPLES
          ? this.carryLength > 0
            ? `in the middle of row ${this.total}`
            : `after row ${this.total} without the end-of-data trailer`
          : 'before the end of the header';
      throw this.error(`the stream ended ${where}`);
    }
    const out: RecordBatch[] = [];
    this.out = out;
    if (this.row > 0) this.flush();
    return out;
  }

  private checkUsable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error('CopyBinaryDecoder: push() or end() called after end()');
  }

  private appendCarry(chunk: Uint8Array, from: number, count: number): void {
    const needed = this.carryLength + count;
    if (needed > this.carry.length) {
      const grown = new Uint8Array(Math.max(needed, this.carry.length * 2, 256));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(chunk.subarray(from, from + count), this.carryLength);
    this.carryLength = needed;
  }

  /**
   * Decodes what it can of buf[start, end); returns where it stopped. When it stops early, `need` says how many
   * bytes from there the next piece takes (at least; a tuple's full size is known only field by field).
   */
  private process(buf: Uint8Array, start: number, end: number): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let p = start;
    while (p < end) {
      switch (this.state) {
        case STATE_SIGNATURE: {
          if (end - p < SIGNATURE.length) {
            for (let k = 0; k < end - p; k++) {
              if (buf[p + k] !== SIGNATURE[k])
                throw this.error('the bytes do not start with the COPY BINARY signature');
            }
            this.need = SIGNATURE.length;
            return p;
          }
          for (let k = 0; k < SIGNATURE.length; k++) {
            if (buf[p + k] !== SIGNATURE[k])
              throw this.error('the bytes do not start with the COPY BINARY signature');
          }
          p += SIGNATURE.length;
          this.state = STATE_HEADER;
          break;
        }
        case STATE_HEADER: {
          if (end - p < 8) {
            this.need = 8;
            return p;
          }
          const flags = view.getInt32(p);
          const extension = view.getInt32(p + 4);
          if ((flags & CRITICAL_FLAGS) !== 0) {
            throw this.error(
              `header flags 0x${(flags >>> 0).toString(16)} ask for a format this decoder does not read (rows with OIDs?)`,
            );
          }
          if (extension < 0) throw this.error(`a header extension of ${extension} bytes`);
          p += 8;
          this.extensionLeft = extension;
          this.state = STATE_EXTENSION;
          break;
        }
        case STATE_EXTENSION: {
          // Skipped as it arrives: nothing in it is for us, and it never needs to be whole.
          const skip = Math.min(this.extensionLeft, end - p);
          p += skip;
          this.extensionLeft -= skip;
          if (this.extensionLeft === 0) this.state = STATE_TUPLES;
          break;
        }
        case STATE_TUPLES:
          p = this.tuples(buf, view, p, end);
          if (this.state === STATE_TUPLES) return p;
          break;
        default:
          throw this.error(`${end - p} bytes after the end-of-data trailer`);
      }
    }
    if (this.state === STATE_EXTENSION && this.extensionLeft === 0) this.state = STATE_TUPLES;
    return p;
  }

  /**
   * The hot path. Tuples are taken in runs: a first pass walks the field lengths of as many complete tuples as
   * are at hand (up to the end of the batch) and notes where each value starts; then each column is decoded
   * over the whole run in one loop of its own, which keeps the per-value work to a typed-array store with no
   * dispatch on the column's type. Returns where it stopped: after the trailer, or at an incomplete tuple.
   */
  private tuples(buf: Uint8Array, view: DataView, start: number, end: number): number {
    const columns = this.builders.length;
    let p = start;
    for (;;) {
      const starts = this.starts;
      const room = Math.min(this.batchRows - this.row, RUN_ROWS);
      let count = 0;
      let stop = false;
      while (count < room) {
        if (end - p < 2) {
          this.need = 2;
          stop = true;
          break;
        }
        const fields = view.getInt16(p);
        if (fields !== columns) {
          if (fields === -1) {
            this.state = STATE_DONE;
            stop = true;
            break;
          }
          throw this.error(
            `row ${this.total + count} has ${fields} fields where ${columns} columns were expected`,
          );
        }
        let q = p + 2;
        let complete = true;
        const at = count * columns;
        for (let j = 0; j < columns; j++) {
          if (end - q < 4) {
            this.need = q + 4 - p;
            complete = false;
            break;
          }
          const len = view.getInt32(q);
          q += 4;
          if (len >= 0) {
            if (len > end - q) {
              this.need = q + len - p;
              complete = false;
              break;
            }
            starts[at + j] = q;
            q += len;
          } else if (len === -1) {
            starts[at + j] = -1;
          } else {
            throw this.error(
              `row ${this.total + count}, column ${this.builders[j]!.name}: a field length of ${len}`,
            );
          }
        }
        if (!complete) {
          stop = true;
          break;
        }
        p = q;
        count++;
      }
      if (count > 0) this.decodeRun(buf, view, count);
      if (this.row === this.batchRows) this.flush();
      if (stop) return this.state === STATE_DONE ? p + 2 : p;
    }
  }

  /** Decodes the `count` tuples whose value starts the first pass noted, column by column. */
  private decodeRun(buf: Uint8Array, view: DataView, count: number): void {
    if (count === 0) return;
    const needed = this.row + count;
    if (needed > this.rowCapacity) this.growRows(needed);
    const builders = this.builders;
    for (let j = 0; j < builders.length; j++) {
      decodeColumn(builders[j]!, j, builders.length, this.row, count, this.starts, buf, view);
    }
    this.row = needed;
    this.total += count;
  }

  private growRows(needed: number): void {
    let capacity = this.rowCapacity * 2;
    while (capacity < needed) capacity *= 2;
    capacity = Math.min(this.batchRows, capacity);
    for (const builder of this.builders) builder.resize(capacity);
    this.rowCapacity = capacity;
  }

  private flush(): void {
    const length = this.row;
    // A full batch says more are likely coming: give the next one its full size at once.
    const next = length === this.batchRows ? this.batchRows : this.rowCapacity;
    const children = this.builders.map((builder) => builder.finish(length, next));
    this.rowCapacity = next;
    this.row = 0;
    this.out.push(
      new RecordBatch(this.schema, makeData({ type: this.struct, length, nullCount: 0, children })),
    );
  }

  private error(reason: string, column?: string): DecodeError {
    return new DecodeError(
      { what: 'PostgreSQL COPY BINARY data', source: this.source, field: column },
      `Could not decode PostgreSQL COPY BINARY data${this.source ? ` from ${this.source}` : ''}` +
        `${column === undefined ? '' : ` (column ${JSON.stringify(column)})`}: ${reason}.`,
    );
  }

  private wrap(error: unknown): unknown {
    if (error instanceof FieldError) {
      // The run being decoded has not been counted yet: its rows start at this.total.
      const row = error.row < 0 ? this.total : this.total + error.row - this.row;
      return this.error(`row ${row}: ${error.message}`, error.column);
    }
    return error;
  }
}
