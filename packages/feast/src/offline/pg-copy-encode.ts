/**
 * An encoder of columnar values into PostgreSQL's COPY BINARY format, for `COPY … FROM STDIN (FORMAT binary)`:
 * how an entity dataframe reaches the database without building an INSERT statement or a text CSV. Values are
 * written straight into chunk-sized buffers; each chunk is handed out once full and never touched again, so a
 * stream may hold on to it.
 */
import { EncodeError } from '../codec/errors';
import { describeValue, notInt64 } from '../codec/rules';
import { arrayElementOid, Kind, PG_OID, pgTypeName, scalarKind } from './pg-copy-types';

/** A column to write: its name (for messages), its PostgreSQL type oid, and one value per row. */
export interface CopyInColumn {
  name: string;
  typeOid: number;
  values: ArrayLike<unknown>;
}

export interface EncodeCopyBinaryOptions {
  /** About how many bytes each yielded chunk holds (a row is never split). Default 256 KiB. */
  chunkBytes?: number;
}

/** A UTF-16 surrogate not in a pair (the u flag reads a well-formed pair as one code point): text UTF-8 cannot hold. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const DEFAULT_CHUNK_BYTES = 256 * 1024;
const HEADER = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

/** Unix epoch in PostgreSQL's time (µs and days since 2000-01-01). */
const EPOCH_MS = 946684800000;
const EPOCH_US = 946684800000000n;
const EPOCH_DAYS = 10957;
const MS_PER_DAY = 86400000;
/** PostgreSQL's valid timestamps: from 4714-11-24 BC up to (not including) 294277-01-01, in µs since 2000. */
const MIN_TIMESTAMP_US = -211813488000000000n;
const END_TIMESTAMP_US = 9223371331200000000n;
const MIN_DATE_DAYS = -2451545;
const TWO_32 = 4294967296;
const FLOAT32_MAX = 3.4028234663852886e38;

const UUID_TEXT = /^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/;
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

const utf8 = new TextEncoder();

interface Plan {
  name: string;
  oid: number;
  kind: Kind;
  /** bytea takes a Uint8Array; the other bytes kinds take strings. */
  binary: boolean;
  element: Plan | null;
  values: ArrayLike<unknown>;
}

function plan(name: string, oid: number, values: ArrayLike<unknown>): Plan | undefined {
  const elementOid = arrayElementOid(oid);
  if (elementOid !== undefined) {
    return { name, oid, kind: Kind.LIST, binary: false, element: plan(name, elementOid, [])!, values };
  }
  const kind = scalarKind(oid);
  if (kind === undefined) return undefined;
  return { name, oid, kind, binary: oid === PG_OID.BYTEA, element: null, values };
}

/**
 * Writes `rowCount` rows of `columns` in COPY BINARY format, in chunks of about `chunkBytes` (the first starts
 * with the header, the last ends with the trailer). Column types and lengths are checked at once; a value of the
 * wrong type or out of range throws an EncodeError naming the column and the row while iterating.
 */
export function encodeCopyBinary(
  columns: readonly CopyInColumn[],
  rowCount: number,
  options: EncodeCopyBinaryOptions = {},
): Generator<Uint8Array> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`chunkBytes must be a positive integer, not ${chunkBytes}`);
  }
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
    throw new RangeError(`rowCount must be a non-negative integer, not ${rowCount}`);
  }
  if (columns.length > 0x7fff)
    throw new RangeError(`${columns.length} columns; a COPY row holds at most 32767`);
  const plans = columns.map((column) => {
    const p = plan(column.name, column.typeOid, column.values);
    if (!p) {
      throw new EncodeError(
        { what: 'COPY BINARY column', field: column.name },
        `PostgreSQL type ${pgTypeName(column.typeOid)} is not one the encoder writes`,
      );
    }
    if (!column.values || column.values.length < rowCount) {
      throw new EncodeError(
        { what: 'COPY BINARY column', field: column.name },
        `${column.values?.length ?? 0} values for ${rowCount} rows`,
      );
    }
    return p;
  });
  return generate(plans, rowCount, chunkBytes);
}

function* generate(plans: Plan[], rowCount: number, chunkBytes: number): Generator<Uint8Array> {
  const w = new Writer(chunkBytes);
  w.ensure(HEADER.length);
  for (const byte of HEADER) w.buf[w.pos++] = byte;
  const count = plans.length;
  for (let row = 0; row < rowCount; row++) {
    w.ensure(2);
    w.view.setInt16(w.pos, count);
    w.pos += 2;
    for (let j = 0; j < count; j++) {
      const p = plans[j]!;
      w.row = row;
      writeField(w, p, p.values[row]);
    }
    if (w.pos >= chunkBytes) yield w.take();
  }
  w.ensure(2);
  w.view.setInt16(w.pos, -1);
  w.pos += 2;
  yield w.take();
}

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** The row being written and, inside an array, the element: for messages. */
  row = 0;
  element = -1;
  private readonly chunkBytes: number;

  constructor(chunkBytes: number) {
    this.chunkBytes = chunkBytes;
    this.buf = new Uint8Array(chunkBytes + 256);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** The bytes written so far, handed over for good; writing goes on in a fresh buffer. */
  take(): Uint8Array {
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.chunkBytes + 256);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    return chunk;
  }

  int32(value: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }

  /** An int64 given as a safe integer. */
  int64(value: number): void {
    const hi = Math.floor(value / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, value - hi * TWO_32);
    this.pos += 8;
  }
}

function writeField(w: Writer, p: Plan, value: unknown): void {
  if (value === null || value === undefined) {
    w.int32(-1);
    return;
  }
  switch (p.kind) {
    case Kind.BOOL:
      if (typeof value !== 'boolean') throw bad(w, p, 'a boolean', value);
      w.ensure(5);
      w.view.setInt32(w.pos, 1);
      w.buf[w.pos + 4] = value ? 1 : 0;
      w.pos += 5;
      return;
    case Kind.INT2:
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -32768 || value > 32767) {
        throw bad(w, p, 'an integer in [-32768, 32767]', value);
      }
      w.ensure(6);
      w.view.setInt32(w.pos, 2);
      w.view.setInt16(w.pos + 4, value);
      w.pos += 6;
      return;
    case Kind.INT4:
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < -2147483648 ||
        value > 2147483647
      ) {
        throw bad(w, p, 'an integer in [-2147483648, 2147483647]', value);
      }
      w.ensure(8);
      w.view.setInt32(w.pos, 4);
      w.view.setInt32(w.pos + 4, value);
      w.pos += 8;
      return;
    case Kind.INT8:
      w.ensure(12);
      {
        const problem = notInt64(value);
        if (problem !== undefined) throw badValue(w, p, `INT64 ${problem}`);
      }
      if (typeof value === 'bigint') {
        w.view.setInt32(w.pos, 8);
        w.view.setBigInt64(w.pos + 4, value);
        w.pos += 12;
      } else {
        w.view.setInt32(w.pos, 8);
        w.pos += 4;
        w.int64(value as number);
      }
      return;
    case Kind.FLOAT4:
      if (typeof value !== 'number' || (Number.isFinite(value) && Math.abs(value) > FLOAT32_MAX)) {
        throw bad(w, p, 'a number within the float4 range', value);
      }
      w.ensure(8);
      w.view.setInt32(w.pos, 4);
      w.view.setFloat32(w.pos + 4, value);
      w.pos += 8;
      return;
    case Kind.FLOAT8:
      if (typeof value !== 'number') throw bad(w, p, 'a number', value);
      w.ensure(12);
      w.view.setInt32(w.pos, 8);
      w.view.setFloat64(w.pos + 4, value);
      w.pos += 12;
      return;
    case Kind.NUMERIC:
      writeNumeric(w, p, value);
      return;
    case Kind.TIMESTAMP:
      writeTimestamp(w, p, value);
      return;
    case Kind.DATE: {
      const ms = value instanceof Date ? value.getTime() : Number.NaN;
      if (Number.isNaN(ms)) throw bad(w, p, 'a valid Date', value);
      const days = Math.floor(ms / MS_PER_DAY) - EPOCH_DAYS;
      if (days < MIN_DATE_DAYS) throw bad(w, p, 'a date from 4714-11-24 BC on', value);
      w.ensure(8);
      w.view.setInt32(w.pos, 4);
      w.view.setInt32(w.pos + 4, days);
      w.pos += 8;
      return;
    }
    case Kind.BYTES:
      if (p.binary) {
        if (!(value instanceof Uint8Array)) throw bad(w, p, 'a Uint8Array', value);
        w.ensure(4 + value.length);
        w.view.setInt32(w.pos, value.length);
        w.buf.set(value, w.pos + 4);
        w.pos += 4 + value.length;
      } else {
        writeText(w, p, value, false);
      }
      return;
    case Kind.JSONB:
      writeText(w, p, value, true);
      return;
    case Kind.UUID:
      writeUuid(w, p, value);
      return;
    case Kind.LIST:
      writeArray(w, p, value);
      return;
  }
}

/** UTF-8 text, with jsonb's version byte in front when asked. ASCII is copied by hand: most keys are ASCII. */
function writeText(w: Writer, p: Plan, value: unknown, jsonb: boolean): void {
  if (typeof value !== 'string') throw bad(w, p, jsonb ? 'a string of JSON text' : 'a string', value);
  const length = value.length;
  const prefix = jsonb ? 1 : 0;
  w.ensure(4 + prefix + 3 * length);
  const start = w.pos + 4;
  const buf = w.buf;
  let at = start;
  if (jsonb) buf[at++] = 1;
  let k = 0;
  for (; k < length; k++) {
    const code = value.charCodeAt(k);
    if (code >= 0x80 || code === 0) break;
    buf[at++] = code;
  }
  if (k < length) {
    const rest = value.slice(k);
    if (rest.includes('\0')) throw bad(w, p, 'text without NUL characters (PostgreSQL refuses them)', value);
    if (LONE_SURROGATE.test(rest)) {
      throw bad(w, p, 'well-formed text (it has a lone UTF-16 surrogate)', value);
    }
    at += utf8.encodeInto(rest, buf.subarray(at)).written;
  }
  w.view.setInt32(w.pos, at - start);
  w.pos = at;
}

function writeUuid(w: Writer, p: Plan, value: unknown): void {
  if (typeof value !== 'string' || !UUID_TEXT.test(value)) throw bad(w, p, 'a uuid string', value);
  const hex = value.replace(/[{}-]/g, '');
  w.ensure(20);
  w.view.setInt32(w.pos, 16);
  for (let k = 0; k < 16; k++) w.buf[w.pos + 4 + k] = Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  w.pos += 20;
}

function writeTimestamp(w: Writer, p: Plan, value: unknown): void {
  w.ensure(12);
  w.view.setInt32(w.pos, 8);
  if (typeof value === 'bigint') {
    const us = value - EPOCH_US;
    if (us < MIN_TIMESTAMP_US || us >= END_TIMESTAMP_US) {
      throw bad(w, p, 'µs since the epoch within PostgreSQL timestamps (4714 BC to 294276 AD)', value);
    }
    w.view.setBigInt64(w.pos + 4, us);
    w.pos += 12;
    return;
  }
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw bad(w, p, 'a valid Date, a bigint of µs or a finite number of ms since the epoch', value);
  }
  const us = Math.round((ms - EPOCH_MS) * 1000);
  if (Number.isSafeInteger(us)) {
    w.pos += 4;
    w.int64(us);
    return;
  }
  // Beyond ±285 years from 2000, µs outgrow a double's integers: whole ms and their fraction apart.
  const whole = Math.floor(ms);
  const exact = (BigInt(whole) - BigInt(EPOCH_MS)) * 1000n + BigInt(Math.round((ms - whole) * 1000));
  if (exact < MIN_TIMESTAMP_US || exact >= END_TIMESTAMP_US) {
    throw bad(w, p, 'a time within PostgreSQL timestamps (4714 BC to 294276 AD)', value);
  }
  w.view.setBigInt64(w.pos + 4, exact);
  w.pos += 12;
}

/**
 * A numeric from a number (its shortest decimal form, which reads back as the same double), a bigint or a
 * decimal string. The decimal digits are regrouped into base-10000 digits aligned on the decimal point.
 */
function writeNumeric(w: Writer, p: Plan, value: unknown): void {
  const special = SPECIAL_NUMERICS.get(value);
  if (special !== undefined) {
    writeSpecialNumeric(w, special);
    return;
  }
  let text: string;
  if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'string') text = value;
  else throw bad(w, p, 'a number, a bigint or a decimal string', value);
  const match = DECIMAL_TEXT.exec(text);
  if (!match || (match[2] === '' && !match[3])) throw bad(w, p, 'a decimal string', value);
  const negative = match[1] === '-';
  const whole = match[2]!;
  const fraction = match[3] ?? '';
  const shift = match[4] === undefined ? 0 : Number(match[4]);
  // value = digits × 10^exponent, with no leading or trailing zeros in digits.
  let digits = whole + fraction;
  let exponent = shift - fraction.length;
  const lead = digits.search(/[1-9]/);
  if (lead === -1) {
    // Zero: no digits; the scale only keeps how many decimals the text had.
    w.ensure(12);
    w.view.setInt32(w.pos, 8);
    w.view.setInt32(w.pos + 4, 0);
    w.view.setUint16(w.pos + 8, 0);
    w.view.setInt16(w.pos + 10, Math.min(Math.max(0, -exponent), 0x3fff));
    w.pos += 12;
    return;
  }
  digits = digits.slice(lead);
  const trimmedDigits = digits.replace(/0+$/, '');
  exponent += digits.length - trimmedDigits.length;
  digits = trimmedDigits;
  const top = exponent + digits.length - 1;
  const weight = Math.floor(top / 4);
  const last = Math.floor(exponent / 4);
  const ndigits = weight - last + 1;
  const dscale = Math.max(0, -exponent);
  if (weight > 0x7fff || last < -0x8000 || dscale > 0x3fff) {
    throw bad(w, p, 'a decimal within the numeric range', value);
  }
  const groups = new Array<number>(ndigits).fill(0);
  for (let k = 0; k < digits.length; k++) {
    const power = top - k;
    const group = Math.floor(power / 4);
    groups[weight - group]! += (digits.charCodeAt(k) - 48) * 10 ** (power - 4 * group);
  }
  w.ensure(12 + 2 * ndigits);
  const view = w.view;
  view.setInt32(w.pos, 8 + 2 * ndigits);
  view.setInt16(w.pos + 4, ndigits);
  view.setInt16(w.pos + 6, weight);
  view.setUint16(w.pos + 8, negative ? 0x4000 : 0);
  view.setInt16(w.pos + 10, dscale);
  for (let k = 0; k < ndigits; k++) view.setInt16(w.pos + 12 + 2 * k, groups[k]!);
  w.pos += 12 + 2 * ndigits;
}

/** The sign words of NaN and ±Infinity, as numbers and as PostgreSQL spells them. (A Map compares NaN equal.) */
const SPECIAL_NUMERICS = new Map<unknown, number>([
  [Number.NaN, 0xc000],
  [Number.POSITIVE_INFINITY, 0xd000],
  [Number.NEGATIVE_INFINITY, 0xf000],
  ['NaN', 0xc000],
  ['Infinity', 0xd000],
  ['-Infinity', 0xf000],
]);

function writeSpecialNumeric(w: Writer, sign: number): void {
  w.ensure(12);
  w.view.setInt32(w.pos, 8);
  w.view.setInt32(w.pos + 4, 0);
  w.view.setUint16(w.pos + 8, sign);
  w.view.setInt16(w.pos + 10, 0);
  w.pos += 12;
}

/** A one-dimensional array (zero-dimensional when empty, as PostgreSQL writes empty arrays). */
function writeArray(w: Writer, p: Plan, value: unknown): void {
  const element = p.element!;
  const isList =
    Array.isArray(value) ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView) && element.kind !== Kind.BYTES);
  if (!isList) throw bad(w, p, 'an array', value);
  const items = value as ArrayLike<unknown>;
  const size = items.length;
  w.ensure(24);
  const start = w.pos;
  const view = w.view;
  view.setInt32(start + 4, size === 0 ? 0 : 1);
  view.setInt32(start + 12, element.oid);
  w.pos = start + 16;
  let hasNull = false;
  if (size > 0) {
    view.setInt32(start + 16, size);
    view.setInt32(start + 20, 1);
    w.pos = start + 24;
    for (let k = 0; k < size; k++) {
      const item = items[k];
      if (item === null || item === undefined) hasNull = true;
      w.element = k;
      writeField(w, element, item);
    }
    w.element = -1;
  }
  // The buffer may have been replaced while the elements were written: go through the current view.
  w.view.setInt32(start, w.pos - start - 4);
  w.view.setInt32(start + 8, hasNull ? 1 : 0);
}

function bad(w: Writer, p: Plan, expected: string, value: unknown): EncodeError {
  return badValue(w, p, `expected ${expected}, got ${describeValue(value)}`);
}

function badValue(w: Writer, p: Plan, problem: string): EncodeError {
  const where = w.element >= 0 ? `row ${w.row}, element ${w.element}` : `row ${w.row}`;
  return new EncodeError(
    { what: `a ${pgTypeName(p.oid)} value for COPY`, field: p.name },
    `${where}: ${problem}`,
  );
}
