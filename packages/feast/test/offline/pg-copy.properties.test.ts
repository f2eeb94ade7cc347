// Property tests of the COPY BINARY codec (no database): decoding does not depend on how the stream is cut into
// chunks or batches; encode → decode gives back the values; and any bytes at all, truncated or corrupted streams
// included, either decode or fail with a DecodeError, never another exception and never a hang.
import { DecodeError } from '@mlops/core';
import type { RecordBatch } from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CopyBinaryDecoder,
  type CopyInColumn,
  decodeCopyBinary,
  encodeCopyBinary,
  PG_OID,
  type PgColumn,
} from '../../src/offline/pg-copy';
import { hex, valueAt } from './arrow-plain';

const SEED = 20240601;

// ---------------------------------------------------------------------------------------------------------------
// Random columns: a type, an arbitrary of values the encoder takes, and what each value decodes to.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** The µs since 1970 both PostgreSQL (from 4714-11-24 BC) and Arrow (below int64's +infinity) hold. */
const MIN_MICROS = -211813488000000000n + 946684800000000n;
const MAX_MICROS = INT64_MAX - 1n;
const MIN_DATE_MS = -210866803200000;

interface Spec {
  oid: number;
  value: fc.Arbitrary<unknown>;
  /** The plain decoded form (see plain() below) of a non-null value. */
  expected: (value: unknown) => unknown;
}

const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\0', ''));
const decimal = fc
  .tuple(
    fc.bigInt(-(10n ** 40n), 10n ** 40n),
    fc.integer({ min: 0, max: 45 }),
    fc.integer({ min: -30, max: 30 }),
  )
  .map(([digits, scale, exponent]) => {
    const abs = (digits < 0n ? -digits : digits).toString().padStart(scale + 1, '0');
    const body = scale === 0 ? abs : `${abs.slice(0, -scale)}.${abs.slice(-scale)}`;
    return `${digits < 0n ? '-' : ''}${body}${exponent === 0 ? '' : `e${exponent}`}`;
  });
const micros = fc.oneof(
  fc.bigInt(MIN_MICROS, MAX_MICROS),
  fc.bigInt(-(10n ** 16n), 10n ** 16n),
  fc.constantFrom(0n, 946684800000000n, MAX_MICROS, MIN_MICROS, -1n),
);
const date = fc.date({ noInvalidDate: true, min: new Date(MIN_DATE_MS) });
const timestampValue = fc.oneof(
  micros,
  date,
  fc.integer({ min: MIN_DATE_MS, max: 8.64e15 }).map((ms) => ms),
);
const timestampExpected = (v: unknown) =>
  typeof v === 'bigint' ? v : BigInt(v instanceof Date ? v.getTime() : (v as number)) * 1000n;
const same = (v: unknown) => v;

const SCALAR_SPECS: Spec[] = [
  { oid: PG_OID.BOOL, value: fc.boolean(), expected: same },
  { oid: PG_OID.INT2, value: fc.integer({ min: -32768, max: 32767 }), expected: same },
  { oid: PG_OID.INT4, value: fc.integer(), expected: same },
  {
    oid: PG_OID.INT8,
    value: fc.oneof(fc.bigInt(INT64_MIN, INT64_MAX), fc.maxSafeInteger()),
    expected: (v) => BigInt(v as number | bigint),
  },
  { oid: PG_OID.FLOAT4, value: fc.float(), expected: same },
  { oid: PG_OID.FLOAT8, value: fc.double(), expected: same },
  {
    oid: PG_OID.NUMERIC,
    value: fc.oneof(fc.double(), decimal, fc.bigInt(-(10n ** 30n), 10n ** 30n)),
    // numeric has no negative zero.
    expected: (v) => {
      const n = typeof v === 'number' ? v : Number(v);
      return n === 0 ? 0 : n;
    },
  },
  { oid: PG_OID.TEXT, value: text, expected: same },
  { oid: PG_OID.VARCHAR, value: text, expected: same },
  { oid: PG_OID.JSON, value: fc.json({ maxDepth: 2 }), expected: same },
  { oid: PG_OID.JSONB, value: fc.json({ maxDepth: 2 }), expected: same },
  { oid: PG_OID.BYTEA, value: fc.uint8Array({ maxLength: 40 }), expected: (v) => hex(v as Uint8Array) },
  { oid: PG_OID.UUID, value: fc.uuid(), expected: (v) => (v as string).toLowerCase() },
  { oid: PG_OID.TIMESTAMPTZ, value: timestampValue, expected: timestampExpected },
  { oid: PG_OID.TIMESTAMP, value: timestampValue, expected: timestampExpected },
  { oid: PG_OID.DATE, value: date, expected: (v) => Math.floor((v as Date).getTime() / 86400000) },
];

function arraySpec(oid: number, element: Spec): Spec {
  return {
    oid,
    value: fc.array(fc.option(element.value, { nil: null, freq: 4 }), { maxLength: 6 }),
    expected: (v) => (v as unknown[]).map((e) => (e === null ? null : element.expected(e))),
  };
}
const byOid = (oid: number) => SCALAR_SPECS.find((s) => s.oid === oid)!;
const SPECS: Spec[] = [
  ...SCALAR_SPECS,
  arraySpec(PG_OID.INT4_ARRAY, byOid(PG_OID.INT4)),
  arraySpec(PG_OID.INT8_ARRAY, byOid(PG_OID.INT8)),
  arraySpec(PG_OID.FLOAT8_ARRAY, byOid(PG_OID.FLOAT8)),
  arraySpec(PG_OID.TEXT_ARRAY, byOid(PG_OID.TEXT)),
  arraySpec(PG_OID.BOOL_ARRAY, byOid(PG_OID.BOOL)),
  arraySpec(PG_OID.NUMERIC_ARRAY, byOid(PG_OID.NUMERIC)),
  arraySpec(PG_OID.TIMESTAMPTZ_ARRAY, byOid(PG_OID.TIMESTAMPTZ)),
  arraySpec(PG_OID.BYTEA_ARRAY, byOid(PG_OID.BYTEA)),
];

interface Sample {
  columns: CopyInColumn[];
  specs: Spec[];
  rows: number;
}

const sample: fc.Arbitrary<Sample> = fc
  .tuple(fc.array(fc.constantFrom(...SPECS), { minLength: 1, maxLength: 5 }), fc.nat({ max: 30 }))
  .chain(([specs, rows]) =>
    fc
      .tuple(
        ...specs.map((spec) =>
          fc.array(fc.option(spec.value, { nil: null, freq: 5 }), { minLength: rows, maxLength: rows }),
        ),
      )
      .map((values) => ({
        specs,
        rows,
        columns: specs.map((spec, j) => ({ name: `c${j}`, typeOid: spec.oid, values: values[j]! })),
      })),
  );

function encoded(s: Sample, chunkBytes?: number): Uint8Array {
  return Buffer.concat([...encodeCopyBinary(s.columns, s.rows, { chunkBytes })]);
}

const pgColumns = (s: Sample): PgColumn[] => s.columns.map(({ name, typeOid }) => ({ name, typeOid }));

// ---------------------------------------------------------------------------------------------------------------
// Decoded batches in plain form: timestamps as raw µs (bigint), dates as raw days, bytes as hex.

/** Rows by column, over all batches. */
function plain(batches: readonly RecordBatch[], columns: number): unknown[][] {
  return Array.from({ length: columns }, (_, j) =>
    batches.flatMap((batch) => {
      const data = batch.data.children[j]!;
      return Array.from({ length: data.length }, (_, i) => valueAt(data, i));
    }),
  );
}

function decodePieces(
  columns: readonly PgColumn[],
  pieces: readonly Uint8Array[],
  batchRows?: number,
): RecordBatch[] {
  const decoder = new CopyBinaryDecoder(columns, { batchRows });
  const batches = pieces.flatMap((piece) => decoder.push(piece));
  batches.push(...decoder.end());
  expect(decoder.rowCount).toBe(batches.reduce((n, b) => n + b.numRows, 0));
  return batches;
}

/** `bytes` cut at the given positions (sorted, duplicates allowed: empty chunks are legal too). */
function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const at = [0, ...positions.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  return at.slice(1).map((end, k) => bytes.subarray(at[k]!, end));
}

describe('COPY BINARY codec properties', () => {
  it('encode → decode gives back every value, null or not', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 512 }), (s, chunkBytes) => {
        const table = decodeCopyBinary(pgColumns(s), encoded(s, chunkBytes));
        expect(table.numRows).toBe(s.rows);
        const expected = s.columns.map((column, j) =>
          Array.from(column.values, (v) => (v === null ? null : s.specs[j]!.expected(v))),
        );
        expect(plain(table.batches, s.columns.length)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('decoding does not depend on where the stream is cut into chunks', () => {
    fc.assert(
      fc.property(sample, fc.array(fc.nat(), { maxLength: 40 }), (s, positions) => {
        const bytes = encoded(s);
        const whole = plain(decodePieces(pgColumns(s), [bytes]), s.columns.length);
        const pieces = cut(bytes, positions);
        expect(plain(decodePieces(pgColumns(s), pieces), s.columns.length)).toEqual(whole);
        // One byte at a time: every boundary falls inside something.
        if (bytes.length < 600) {
          const bytewise = Array.from({ length: bytes.length }, (_, k) => bytes.subarray(k, k + 1));
          expect(plain(decodePieces(pgColumns(s), bytewise), s.columns.length)).toEqual(whole);
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('batchRows splits the same rows into batches of exactly batchRows, the last one shorter', () => {
    fc.assert(
      fc.property(
        sample,
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (s, batchRows, positions) => {
          const bytes = encoded(s);
          const whole = plain(decodePieces(pgColumns(s), [bytes]), s.columns.length);
          const batches = decodePieces(pgColumns(s), cut(bytes, positions), batchRows);
          const sizes = batches.map((b) => b.numRows);
          expect(sizes.slice(0, -1).every((n) => n === batchRows)).toBe(true);
          expect(sizes.every((n) => n >= 1 && n <= batchRows)).toBe(true);
          expect(batches.length).toBe(Math.ceil(s.rows / batchRows));
          expect(plain(batches, s.columns.length)).toEqual(whole);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  /** Decodes or throws a DecodeError; anything else (a RangeError from a read past the end, ...) fails. */
  function decodesOrDecodeError(columns: readonly PgColumn[], pieces: readonly Uint8Array[]): 'ok' | 'error' {
    try {
      const batches = decodePieces(columns, pieces, 7);
      // What did decode must be readable: every value of every batch.
      plain(batches, columns.length);
      return 'ok';
    } catch (error) {
      if (!DecodeError.isInstance(error)) throw error;
      return 'error';
    }
  }

  it('a truncated stream always fails with a DecodeError', () => {
    fc.assert(
      fc.property(sample, fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), (s, end, positions) => {
        const bytes = encoded(s);
        const truncated = bytes.subarray(0, end % bytes.length);
        expect(decodesOrDecodeError(pgColumns(s), cut(truncated, positions))).toBe('error');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('corrupted streams decode or fail with a DecodeError, never anything else', () => {
    const mutation = fc.tuple(
      fc.nat(),
      fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x7f, 0x80, 0xff)),
    );
    fc.assert(
      fc.property(
        sample,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (s, mutations, positions) => {
          const bytes = Uint8Array.from(encoded(s));
          // Keep the signature mostly intact, so that corruption reaches the header, lengths and values.
          for (const [at, value] of mutations) bytes[11 + (at % Math.max(1, bytes.length - 11))] = value;
          decodesOrDecodeError(pgColumns(s), cut(bytes, positions));
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('arbitrary bytes, after a valid header or not, decode or fail with a DecodeError', () => {
    const header = Uint8Array.from([
      0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...SPECS.map((spec) => spec.oid)), { minLength: 0, maxLength: 4 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (oids, withHeader, tail, positions) => {
          const columns = oids.map((typeOid, j) => ({ name: `c${j}`, typeOid }));
          const bytes = withHeader ? Buffer.concat([header, tail]) : tail;
          decodesOrDecodeError(columns, cut(bytes, positions));
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('values inside an array field are bounded by the field: a lying element count or length is a DecodeError', () => {
    const columns: PgColumn[] = [{ name: 'tags', typeOid: PG_OID.INT4_ARRAY }];
    const good = encodeOne(columns[0]!, [1, 2, 3]);
    fc.assert(
      fc.property(fc.nat(), fc.integer(), (offset, value) => {
        const bytes = Buffer.from(good);
        // Overwrite one int32 anywhere inside the array field, which starts after the 19-byte header, the
        // tuple's field count and the field's length (25) and ends before the 2-byte trailer.
        const fieldBytes = bytes.length - 25 - 2;
        bytes.writeInt32BE(value, 25 + (offset % (fieldBytes - 3)));
        decodesOrDecodeError(columns, [bytes]);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

function encodeOne(column: PgColumn, value: unknown): Uint8Array {
  return Buffer.concat([...encodeCopyBinary([{ ...column, values: [value] }], 1)]);
}
