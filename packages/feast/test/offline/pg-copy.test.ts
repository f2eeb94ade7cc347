// The COPY BINARY codec against a real PostgreSQL 15: what we decode from COPY TO STDOUT equals what node-postgres
// reads from a plain text query of the same SELECT, for every supported type; what we encode is accepted by
// COPY FROM STDIN and reads back as written; bad input fails with DecodeError / EncodeError naming the column.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecodeError } from '@mlops/core';
import { Table } from 'apache-arrow';
import fc from 'fast-check';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncodeError } from '../../src/codec/errors';
import {
  arrowSchemaForPg,
  arrowTypeForPg,
  CopyBinaryDecoder,
  type CopyInColumn,
  decodeCopyBinary,
  encodeCopyBinary,
  PG_OID,
  type PgColumn,
} from '../../src/offline/pg-copy';
import { hex, plainColumn } from './arrow-plain';

const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'feast' });

beforeAll(async () => {
  await client.connect();
  // Timestamps and dates are compared through their text, which these settings make unambiguous.
  await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'");
});
afterAll(async () => {
  await client.end();
});

// ---------------------------------------------------------------------------------------------------------------
// Reading both ways.

/** The result columns of a query, as node-postgres describes them. */
async function describeQuery(sql: string): Promise<PgColumn[]> {
  const result = await client.query({ text: `SELECT * FROM (${sql}) AS q LIMIT 0`, rowMode: 'array' });
  return result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
}

/**
 * COPY (sql) TO STDOUT in binary, decoded chunk by chunk as the stream delivered it. The stream is read to its
 * end before decoding, so that a decoding error never leaves the connection in the middle of a COPY.
 */
async function copyOut(sql: string, batchRows?: number): Promise<{ table: Table; columns: PgColumn[] }> {
  const columns = await describeQuery(sql);
  const chunks: Uint8Array[] = [];
  for await (const chunk of client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`)))
    chunks.push(chunk);
  const decoder = new CopyBinaryDecoder(columns, { batchRows, source: 'test query' });
  const batches = chunks.flatMap((chunk) => decoder.push(chunk));
  batches.push(...decoder.end());
  return { table: new Table(decoder.schema, batches), columns };
}

// Timestamp and date types (and their arrays) come back as their text: node-postgres' Date keeps only ms.
const RAW_TEXT = new Set<number>([
  PG_OID.TIMESTAMP,
  PG_OID.TIMESTAMPTZ,
  PG_OID.DATE,
  PG_OID.TIMESTAMP_ARRAY,
  PG_OID.TIMESTAMPTZ_ARRAY,
  PG_OID.DATE_ARRAY,
]);
/** node-postgres' text parser of a type oid (its typings only take the oids it names). */
const textParser = pg.types.getTypeParser as unknown as (oid: number) => (text: string) => unknown;
const parseTextArray = textParser(PG_OID.TEXT_ARRAY) as (text: string) => Array<string | null>;

/** The rows of a text-protocol query, by column, with node-postgres' usual parsing. */
async function textQuery(sql: string): Promise<unknown[][]> {
  const result = await client.query({
    text: sql,
    rowMode: 'array',
    types: {
      getTypeParser: ((oid: number) =>
        RAW_TEXT.has(oid) ? (text: string) => text : textParser(oid)) as never,
    },
  });
  return result.fields.map((_, j) => result.rows.map((row: unknown[]) => row[j]));
}

// Text → comparable value, for what node-postgres leaves as text.
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const TIMESTAMP_TEXT = /^(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(\+00)?( BC)?$/;
const DATE_TEXT = /^(\d+)-(\d\d)-(\d\d)( BC)?$/;

/** Days from 1970-01-01 to a proleptic Gregorian date (any year, including astronomical year 0 and below). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function timestampMicros(text: string): bigint {
  if (text === 'infinity') return INT64_MAX;
  if (text === '-infinity') return INT64_MIN;
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) throw new Error(`unexpected timestamp text ${text}`);
  const year = m[9] ? 1 - Number(m[1]) : Number(m[1]);
  const days = daysFromCivil(year, Number(m[2]), Number(m[3]));
  const seconds = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
  return (BigInt(days) * 86400n + BigInt(seconds)) * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

/** The inverse of daysFromCivil: [year (astronomical), month, day]. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** µs since 1970 as PostgreSQL timestamptz text in UTC (BC years included). */
function timestampText(us: bigint): string {
  const perDay = 86_400_000_000n;
  let days = us / perDay;
  let rest = us % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  const [year, month, day] = civilFromDays(Number(days));
  const seconds = Number(rest / 1_000_000n);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  const fraction = String(rest % 1_000_000n).padStart(6, '0');
  const bc = year <= 0;
  return `${pad(bc ? 1 - year : year, 4)}-${pad(month)}-${pad(day)} ${time}.${fraction}+00${bc ? ' BC' : ''}`;
}

function dateDays(text: string): number {
  if (text === 'infinity') return 0x7fffffff;
  if (text === '-infinity') return -0x80000000;
  const m = DATE_TEXT.exec(text);
  if (!m) throw new Error(`unexpected date text ${text}`);
  return daysFromCivil(m[4] ? 1 - Number(m[1]) : Number(m[1]), Number(m[2]), Number(m[3]));
}

type Normalise = (value: unknown) => unknown;
const same: Normalise = (v) => v;
const bytesHex: Normalise = (v) => hex(v as Uint8Array);
const jsonValue: Normalise = (v) => JSON.parse(v as string);

interface Case {
  /** The SQL type the literals are cast to. */
  sql: string;
  oid: number;
  literals: string[];
  /** node-postgres' value → comparable; our decoded (plain) value → comparable. */
  theirs: Normalise;
  ours?: Normalise;
}

const TEXTS = [
  `''`,
  `'plain'`,
  `'héllo wörld'`,
  `'日本語テキスト'`,
  `'emoji 😀🚀'`,
  `'tab\tnew\nline'`,
  `repeat('x', 70000)`,
];

const SCALARS: Case[] = [
  { sql: 'boolean', oid: PG_OID.BOOL, literals: ['true', 'false'], theirs: same },
  {
    sql: 'bytea',
    oid: PG_OID.BYTEA,
    literals: [`'\\x'`, `'\\x00ff10'`, `decode(repeat('ab', 40000), 'hex')`],
    theirs: bytesHex,
    ours: same,
  },
  { sql: 'smallint', oid: PG_OID.INT2, literals: ['0', '-32768', '32767', '-1'], theirs: same },
  {
    sql: 'integer',
    oid: PG_OID.INT4,
    literals: ['0', '-2147483648', '2147483647', '-1', '65536'],
    theirs: same,
  },
  {
    sql: 'bigint',
    oid: PG_OID.INT8,
    literals: [
      '0',
      '-9223372036854775808',
      '9223372036854775807',
      '-1',
      '4294967296',
      '-4294967297',
      '9007199254740993',
    ],
    theirs: (v) => BigInt(v as string),
  },
  {
    sql: 'real',
    oid: PG_OID.FLOAT4,
    literals: [`'0'`, `'-0'`, `'3.4028235e38'`, `'-1.4e-45'`, `'0.1'`, `'NaN'`, `'Infinity'`, `'-Infinity'`],
    theirs: (v) => Math.fround(v as number),
  },
  {
    sql: 'double precision',
    oid: PG_OID.FLOAT8,
    literals: [
      `'0'`,
      `'-0'`,
      `'1.7976931348623157e308'`,
      `'5e-324'`,
      `'-2.2250738585072014e-308'`,
      `'0.1'`,
      `'NaN'`,
      `'Infinity'`,
      `'-Infinity'`,
    ],
    theirs: same,
  },
  {
    sql: 'numeric',
    oid: PG_OID.NUMERIC,
    literals: [
      '0',
      '0.000',
      '1.5',
      '-1.5',
      '-123.456',
      '0.0001',
      '-0.00000000000000000000000000000123',
      '1e-20',
      '10000',
      '9007199254740993',
      '123456789012345678901234567890.123456789',
      '-98765432109876543210.98765432109876543210987654321',
      '3.14159265358979323846264338327950288419716939937510',
      '1e300',
      '-1e308',
      '1e400',
      `'NaN'`,
      `'Infinity'`,
      `'-Infinity'`,
      '0.1',
      '-0.3',
      '2.5e-310',
    ],
    theirs: (v) => Number(v as string),
  },
  { sql: 'text', oid: PG_OID.TEXT, literals: TEXTS, theirs: same },
  { sql: 'character varying(100000)', oid: PG_OID.VARCHAR, literals: TEXTS, theirs: same },
  { sql: 'character(6)', oid: PG_OID.BPCHAR, literals: [`''`, `'ab'`, `'日本'`, `'sixsix'`], theirs: same },
  { sql: 'name', oid: PG_OID.NAME, literals: [`''`, `'feature_view'`, `'ünï'`], theirs: same },
  {
    sql: 'timestamp with time zone',
    oid: PG_OID.TIMESTAMPTZ,
    literals: [
      `'2000-01-01 00:00:00+00'`,
      `'1999-12-31 23:59:59.999999+00'`,
      `'1970-01-01 00:00:00+00'`,
      `'1969-12-31 23:59:59.000001+00'`,
      `'1900-02-28 12:34:56.789012+00'`,
      `'0001-01-01 00:00:00+00'`,
      `'4713-01-01 00:00:00+00 BC'`,
      `'2024-06-01 12:00:00.5+02'`,
      `'294247-01-10 04:00:54.775806+00'`,
      `'infinity'`,
      `'-infinity'`,
    ],
    theirs: (v) => timestampMicros(v as string),
  },
  {
    sql: 'timestamp without time zone',
    oid: PG_OID.TIMESTAMP,
    literals: [
      `'2000-01-01 00:00:00'`,
      `'1999-12-31 23:59:59.999999'`,
      `'1970-01-01 00:00:00'`,
      `'1066-10-14 09:00:00.000001'`,
      `'0044-03-15 12:00:00 BC'`,
      `'294247-01-10 04:00:54.775806'`,
      `'infinity'`,
      `'-infinity'`,
    ],
    theirs: (v) => timestampMicros(v as string),
  },
  {
    sql: 'date',
    oid: PG_OID.DATE,
    literals: [
      `'2000-01-01'`,
      `'1999-12-31'`,
      `'1970-01-01'`,
      `'1969-12-31'`,
      `'0001-01-01'`,
      `'4714-11-24 BC'`,
      `'5874897-12-31'`,
      `'infinity'`,
      `'-infinity'`,
    ],
    theirs: (v) => dateDays(v as string),
  },
  {
    sql: 'uuid',
    oid: PG_OID.UUID,
    literals: [
      `'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`,
      `'00000000-0000-0000-0000-000000000000'`,
      `'ffffffffffffffffffffffffffffffff'`,
    ],
    theirs: same,
  },
  {
    sql: 'json',
    oid: PG_OID.JSON,
    literals: [`'{"a": [1, 2.5, "x"],  "b": null}'`, `'[]'`, `'"é"'`, `'null'`, `'12345678901234567890'`],
    theirs: same,
    ours: jsonValue,
  },
  {
    sql: 'jsonb',
    oid: PG_OID.JSONB,
    literals: [`'{"b": 1, "a": "日本", "c": {"d": [true, false]}}'`, `'[]'`, `'"x"'`, `'null'`, `'-0.5'`],
    theirs: same,
    ours: jsonValue,
  },
];

/** The array types: each element normalised like its scalar case (named by that case's SQL type). */
const ARRAYS: Array<{ element: string; scalar?: string; oid: number; literals: string[] }> = [
  { element: 'boolean', oid: PG_OID.BOOL_ARRAY, literals: [`'{true,NULL,false}'`] },
  { element: 'bytea', oid: PG_OID.BYTEA_ARRAY, literals: [`ARRAY['\\x01'::bytea, NULL, '\\x']`] },
  { element: 'smallint', oid: PG_OID.INT2_ARRAY, literals: [`'{-32768,NULL,32767}'`] },
  { element: 'integer', oid: PG_OID.INT4_ARRAY, literals: [`'{1,NULL,-3}'`, `'[0:2]={7,8,9}'`] },
  {
    element: 'bigint',
    oid: PG_OID.INT8_ARRAY,
    literals: [`'{-9223372036854775808,NULL,9223372036854775807}'`],
  },
  { element: 'real', oid: PG_OID.FLOAT4_ARRAY, literals: [`'{0.1,NULL,NaN,-Infinity}'`] },
  { element: 'double precision', oid: PG_OID.FLOAT8_ARRAY, literals: [`'{0.1,NULL,5e-324,Infinity}'`] },
  { element: 'numeric', oid: PG_OID.NUMERIC_ARRAY, literals: [`'{1.5,NULL,-123456789.987654321,NaN}'`] },
  { element: 'text', oid: PG_OID.TEXT_ARRAY, literals: [`'{"a","",NULL,"日本","with,comma","NULL"}'`] },
  {
    element: 'character varying',
    scalar: 'character varying(100000)',
    oid: PG_OID.VARCHAR_ARRAY,
    literals: [`'{x,NULL,"y z"}'`],
  },
  { element: 'character(3)', scalar: 'character(6)', oid: PG_OID.BPCHAR_ARRAY, literals: [`'{a,NULL,abc}'`] },
  { element: 'name', oid: PG_OID.NAME_ARRAY, literals: [`'{a,NULL,"b c"}'`] },
  {
    element: 'timestamp with time zone',
    oid: PG_OID.TIMESTAMPTZ_ARRAY,
    literals: [
      `ARRAY['1999-12-31 23:59:59.999999+00'::timestamptz, NULL, 'infinity', '0100-01-01 00:00:00+00 BC']`,
    ],
  },
  {
    element: 'timestamp without time zone',
    oid: PG_OID.TIMESTAMP_ARRAY,
    literals: [`ARRAY['2024-02-29 12:00:00.25'::timestamp, NULL]`],
  },
  {
    element: 'date',
    oid: PG_OID.DATE_ARRAY,
    literals: [`ARRAY['2000-01-01'::date, NULL, '1900-03-01', '-infinity']`],
  },
  {
    element: 'uuid',
    oid: PG_OID.UUID_ARRAY,
    literals: [`ARRAY['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, NULL]`],
  },
  { element: 'json', oid: PG_OID.JSON_ARRAY, literals: [`ARRAY['{"a":1}'::json, NULL, '[1, 2]']`] },
  { element: 'jsonb', oid: PG_OID.JSONB_ARRAY, literals: [`ARRAY['{"a":1}'::jsonb, NULL, '"s"']`] },
];

/** SELECT of one column `v` of `type`, one row per literal (and a NULL), in order. */
function selectOf(type: string, literals: readonly string[]): string {
  const rows = [...literals, 'NULL'].map((literal, n) => `(${n}, (${literal})::${type})`);
  return `SELECT v FROM (VALUES ${rows.join(', ')}) AS t(n, v) ORDER BY n`;
}

describe('COPY TO STDOUT (FORMAT binary) decoded = node-postgres text query', () => {
  it.each(SCALARS.map((c) => [c.sql, c] as const))('%s', async (_name, c) => {
    const sql = selectOf(c.sql, c.literals);
    const { table, columns } = await copyOut(sql);
    expect(columns[0]!.typeOid).toBe(c.oid);
    const ours = plainColumn(table.getChildAt(0)).map((v) => (v === null ? null : (c.ours ?? same)(v)));
    const theirs = (await textQuery(sql))[0]!.map((v) => (v === null ? null : c.theirs(v)));
    expect(ours).toHaveLength(c.literals.length + 1);
    expect(ours).toEqual(theirs);
    expect(ours.at(-1)).toBeNull();
    expect(table.schema.fields[0]!.type.toString()).toBe(arrowTypeForPg(columns[0]!).toString());
  });

  it.each(ARRAYS.map((a) => [`${a.element}[]`, a] as const))('%s', async (_name, a) => {
    const element = SCALARS.find((c) => c.sql === (a.scalar ?? a.element))!;
    const sql = selectOf(`${a.element}[]`, [...a.literals, `'{}'`]);
    const { table, columns } = await copyOut(sql);
    expect(columns[0]!.typeOid).toBe(a.oid);
    const ours = plainColumn(table.getChildAt(0)).map((list) =>
      list === null ? null : (list as unknown[]).map((v) => (v === null ? null : (element.ours ?? same)(v))),
    );
    const theirs = (await textQuery(sql))[0]!.map((list) => {
      if (list === null) return null;
      // Arrays node-postgres has no parser for (name[], and the raw-text timestamp ones) arrive as their text.
      const items = typeof list === 'string' ? parseTextArray(list) : (list as unknown[]);
      return items.map((v) => (v === null ? null : element.theirs(v)));
    });
    expect(ours).toEqual(theirs);
    expect(ours.at(-2)).toEqual([]);
    expect(ours.at(-1)).toBeNull();
  });

  it('a wide query of many rows, over many stream chunks and batches, reads the same both ways', async () => {
    const sql = `SELECT i AS id, (i * 7919)::int8 * 1000003 AS big, i / 3.0::float8 AS ratio,
        CASE WHEN i % 7 = 0 THEN NULL ELSE repeat(chr(65 + i % 26), i % 50) || 'é' END AS label,
        timestamptz '2020-02-29 00:00:00+00' + i * interval '1 minute 0.000001 second' AS ts,
        (i % 3 = 0) AS flag, i::numeric / 8 AS amount,
        CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY[i, NULL, -i] END AS ints
      FROM generate_series(1, 30000) AS i`;
    const { table } = await copyOut(sql, 4096);
    expect(table.numRows).toBe(30000);
    expect(table.batches.map((b) => b.numRows)).toEqual([...Array(7).fill(4096), 30000 - 7 * 4096]);
    const theirs = await textQuery(sql);
    const conv: Normalise[] = [
      same,
      (v) => BigInt(v as string),
      same,
      same,
      (v) => timestampMicros(v as string),
      same,
      (v) => Number(v),
      same,
    ];
    table.schema.fields.forEach((_, j) => {
      const ours = plainColumn(table.getChildAt(j));
      expect(ours).toEqual(theirs[j]!.map((v) => (v === null ? null : conv[j]!(v))));
    });
  });

  it('random numerics, timestamps and texts, as PostgreSQL itself sends them, read the same both ways', async () => {
    const seed = 515151;
    const decimals = fc.sample(
      fc.oneof(
        fc
          .tuple(fc.bigInt(-(10n ** 40n), 10n ** 40n), fc.integer({ min: -340, max: 320 }))
          .map(([digits, exponent]) => `${digits}e${exponent}`),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
        fc.tuple(fc.bigInt(-(10n ** 18n), 10n ** 18n), fc.integer({ min: 0, max: 20 })).map(([d, scale]) => {
          const abs = (d < 0n ? -d : d).toString().padStart(scale + 1, '0');
          return `${d < 0n ? '-' : ''}${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}0`;
        }),
      ),
      { seed, numRuns: 400 },
    );
    const micros = fc.sample(fc.bigInt(-210866803200000000n, 2n ** 63n - 2n), { seed, numRuns: 300 });
    const texts = fc.sample(
      fc.string({ unit: 'binary', maxLength: 30 }).map((t) => t.replaceAll('\0', '')),
      {
        seed,
        numRuns: 300,
      },
    );
    const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
    const cases: Array<[string, string[], Normalise]> = [
      ['numeric', decimals.map(quote), (v) => Number(v)],
      ['timestamptz', micros.map((us) => quote(timestampText(us))), (v) => timestampMicros(v as string)],
      ['text', texts.map(quote), same],
    ];
    for (const [type, literals, theirs] of cases) {
      const sql = selectOf(type, literals);
      const { table } = await copyOut(sql, 97);
      const expected = (await textQuery(sql))[0]!.map((v) => (v === null ? null : theirs(v)));
      expect(plainColumn(table.getChildAt(0))).toEqual(expected);
    }
  });

  it('types Arrow columns as Feast does: zoned timestamps in UTC, numeric as double, uuid and json as text', () => {
    const schema = arrowSchemaForPg([
      { name: 'ts', typeOid: PG_OID.TIMESTAMPTZ },
      { name: 'naive', typeOid: PG_OID.TIMESTAMP },
      { name: 'n', typeOid: PG_OID.NUMERIC },
      { name: 'u', typeOid: PG_OID.UUID },
      { name: 'j', typeOid: PG_OID.JSONB },
      { name: 'i2', typeOid: PG_OID.INT2 },
      { name: 'd', typeOid: PG_OID.DATE },
      { name: 'l', typeOid: PG_OID.INT8_ARRAY },
    ]);
    expect(schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`)).toEqual([
      'ts: Timestamp<MICROSECOND, UTC> true',
      'naive: Timestamp<MICROSECOND> true',
      'n: Float64 true',
      'u: Utf8 true',
      'j: Utf8 true',
      'i2: Int32 true',
      'd: Date32<DAY> true',
      'l: List<Int64> true',
    ]);
  });

  it('refuses a type it does not read, naming the column, the type and a cast to fix it', async () => {
    const columns = await describeQuery(`SELECT interval '1 day' AS "Wait Time", 1 AS ok`);
    let error: unknown;
    try {
      new CopyBinaryDecoder(columns);
    } catch (e) {
      error = e;
    }
    expect(DecodeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /"Wait Time".*interval.*Cast it in the source query.*"Wait Time"::text/,
    );
    expect(() => arrowTypeForPg({ name: 'x', typeOid: 99999 })).toThrow(/type oid 99999/);
  });

  it('refuses a timestamp too late for Arrow (µs since 1970 beyond int64), naming the column and row', async () => {
    for (const type of ['timestamptz', 'timestamp']) {
      const sql = `SELECT 1 AS n, '294247-01-10 04:00:54.775807'::${type} AS late`;
      const error = await copyOut(`${sql} UNION ALL SELECT 2, '294276-12-31 23:59:59.999999'::${type}`).catch(
        (e: unknown) => e,
      );
      expect(DecodeError.isInstance(error)).toBe(true);
      expect((error as DecodeError).field).toBe('late');
      expect((error as Error).message).toMatch(
        /from test query \(column "late"\): row 0: a timestamp after 294247-01-10/,
      );
    }
  });

  it('refuses a multi-dimensional array with a DecodeError naming the column', async () => {
    const sql = `SELECT ARRAY[[1, 2], [3, 4]] AS grid`;
    const error = await copyOut(sql).catch((e: unknown) => e);
    expect(DecodeError.isInstance(error)).toBe(true);
    expect((error as DecodeError).field).toBe('grid');
    expect((error as Error).message).toMatch(/"grid".*2 dimensions/);
  });
});

describe('decoder edge cases', () => {
  const columns: PgColumn[] = [{ name: 'id', typeOid: PG_OID.INT4 }];
  const valid = () => Buffer.concat([...encodeCopyBinary([{ ...columns[0]!, values: [1, 2, 3] }], 3)]);

  function decodeError(bytes: Uint8Array, cols = columns): DecodeError {
    try {
      decodeCopyBinary(cols, bytes);
    } catch (error) {
      expect(DecodeError.isInstance(error)).toBe(true);
      return error as DecodeError;
    }
    throw new Error('decoded without an error');
  }

  it('needs the signature, the trailer, and nothing after it', () => {
    const bytes = valid();
    expect(decodeError(new Uint8Array(0)).message).toMatch(/before the end of the header/);
    expect(decodeError(Buffer.from('PGCOPY\nX')).message).toMatch(/signature/);
    expect(decodeError(bytes.subarray(0, bytes.length - 2)).message).toMatch(
      /after row 3 without the end-of-data trailer/,
    );
    expect(decodeError(bytes.subarray(0, bytes.length - 5)).message).toMatch(/in the middle of row 2/);
    expect(decodeError(Buffer.concat([bytes, Buffer.from([0])])).message).toMatch(
      /1 bytes after the end-of-data trailer/,
    );
  });

  it('refuses rows with OIDs, a wrong field count and a value of the wrong size', () => {
    const bytes = valid();
    const withOids = Buffer.from(bytes);
    withOids[12] = 1;
    expect(decodeError(withOids).message).toMatch(/flags 0x10000 .*OIDs/);
    // Bits 17-31 are for extensions a reader may ignore.
    const optional = Buffer.from(bytes);
    optional[11] = 0x80;
    expect(plainColumn(decodeCopyBinary(columns, optional).getChildAt(0))).toEqual([1, 2, 3]);
    expect(decodeError(bytes, [...columns, { name: 'x', typeOid: PG_OID.TEXT }]).message).toMatch(
      /row 0 has 1 fields where 2 columns were expected/,
    );
    const error = decodeError(bytes, [{ name: 'wide', typeOid: PG_OID.INT8 }]);
    expect(error.field).toBe('wide');
    expect(error.message).toMatch(/row 0: a bigint value of 4 bytes \(expected 8\)/);
  });

  it('skips a header extension, even one split over chunks', () => {
    const bytes = valid();
    const extended = Buffer.concat([
      bytes.subarray(0, 15),
      Buffer.from([0, 0, 0, 5, 9, 9, 9, 9, 9]),
      bytes.subarray(19),
    ]);
    const decoder = new CopyBinaryDecoder(columns);
    const batches = [];
    for (let k = 0; k < extended.length; k++) batches.push(...decoder.push(extended.subarray(k, k + 1)));
    batches.push(...decoder.end());
    expect(batches.flatMap((b) => plainColumn(b.getChildAt(0)))).toEqual([1, 2, 3]);
    expect(decoder.rowCount).toBe(3);
  });

  it('gives batches of batchRows rows, the last one shorter, and none for an empty result', () => {
    const values = Array.from({ length: 10 }, (_, i) => i);
    const bytes = Buffer.concat([...encodeCopyBinary([{ ...columns[0]!, values }], 10)]);
    const decoder = new CopyBinaryDecoder(columns, { batchRows: 4 });
    const first = decoder.push(bytes);
    expect(first.map((b) => b.numRows)).toEqual([4, 4]);
    expect(decoder.end().map((b) => b.numRows)).toEqual([2]);
    const empty = new CopyBinaryDecoder(columns);
    expect(empty.push(Buffer.concat([...encodeCopyBinary([{ ...columns[0]!, values: [] }], 0)]))).toEqual([]);
    expect(empty.end()).toEqual([]);
    expect(
      decodeCopyBinary(columns, Buffer.concat([...encodeCopyBinary([{ ...columns[0]!, values: [] }], 0)]))
        .numRows,
    ).toBe(0);
  });

  it('keeps working on its own copy of a carried tail when the caller reuses its chunk buffer', () => {
    const values = Array.from({ length: 100 }, (_, i) => `value ${i}`);
    const bytes = Buffer.concat([...encodeCopyBinary([{ name: 't', typeOid: PG_OID.TEXT, values }], 100)]);
    const decoder = new CopyBinaryDecoder([{ name: 't', typeOid: PG_OID.TEXT }]);
    const scratch = new Uint8Array(7);
    const batches = [];
    for (let k = 0; k < bytes.length; k += 7) {
      const piece = bytes.subarray(k, k + 7);
      scratch.set(piece);
      batches.push(...decoder.push(scratch.subarray(0, piece.length)));
      scratch.fill(0xee);
    }
    batches.push(...decoder.end());
    expect(batches.flatMap((b) => plainColumn(b.getChildAt(0)))).toEqual(values);
  });

  it('fails for good once it has failed, and refuses use after end()', () => {
    const decoder = new CopyBinaryDecoder(columns);
    expect(() => decoder.push(Buffer.from('nope, not COPY'))).toThrow(/signature/);
    expect(() => decoder.push(valid())).toThrow(/signature/);
    const done = new CopyBinaryDecoder(columns);
    done.push(valid());
    done.end();
    expect(() => done.end()).toThrow(/after end/);
    expect(() => new CopyBinaryDecoder(columns, { batchRows: 0 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Writing.

describe('encodeCopyBinary → COPY FROM STDIN (FORMAT binary)', () => {
  const TABLE_SQL = `CREATE TEMP TABLE copy_in (
    b boolean, by bytea, i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, t text,
    vc varchar(50), bp char(4), n numeric, ts timestamptz, tsn timestamp, d date, u uuid, j jsonb, js json,
    ia integer[], ta text[], la bigint[], tsa timestamptz[]
  )`;
  const uuid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
  const when = new Date('1999-12-31T23:59:59.123Z');
  const columns: CopyInColumn[] = [
    { name: 'b', typeOid: PG_OID.BOOL, values: [true, false, null] },
    {
      name: 'by',
      typeOid: PG_OID.BYTEA,
      values: [new Uint8Array([0, 255, 16]), new Uint8Array(0), undefined],
    },
    { name: 'i2', typeOid: PG_OID.INT2, values: [-32768, 32767, null] },
    { name: 'i4', typeOid: PG_OID.INT4, values: [-2147483648, 2147483647, null] },
    { name: 'i8', typeOid: PG_OID.INT8, values: [-(2n ** 63n), 2n ** 63n - 1n, Number.MAX_SAFE_INTEGER] },
    { name: 'f4', typeOid: PG_OID.FLOAT4, values: [0.1, Number.NaN, Number.NEGATIVE_INFINITY] },
    { name: 'f8', typeOid: PG_OID.FLOAT8, values: [5e-324, -0, Number.MAX_VALUE] },
    { name: 't', typeOid: PG_OID.TEXT, values: ['', 'héllo 😀 日本', 'x'.repeat(5000)] },
    { name: 'vc', typeOid: PG_OID.VARCHAR, values: ['varchar', null, 'ü'] },
    { name: 'bp', typeOid: PG_OID.BPCHAR, values: ['ab', 'abcd', null] },
    {
      name: 'n',
      typeOid: PG_OID.NUMERIC,
      values: [0.1, -123456789012345678901234567890n, '-0.000000000000000000001234'],
    },
    { name: 'ts', typeOid: PG_OID.TIMESTAMPTZ, values: [when, 1_700_000_000_123_456n, -62_135_596_800_000] },
    { name: 'tsn', typeOid: PG_OID.TIMESTAMP, values: [946_684_800_000_001n, new Date(0), null] },
    {
      name: 'd',
      typeOid: PG_OID.DATE,
      values: [new Date('2000-01-01T00:00:00Z'), new Date('1969-12-31T23:00:00Z'), null],
    },
    { name: 'u', typeOid: PG_OID.UUID, values: [uuid, uuid.toUpperCase().replaceAll('-', ''), null] },
    { name: 'j', typeOid: PG_OID.JSONB, values: ['{"a": [1, 2]}', '"é"', null] },
    { name: 'js', typeOid: PG_OID.JSON, values: ['{"keep":  "spacing"}', null, '[]'] },
    { name: 'ia', typeOid: PG_OID.INT4_ARRAY, values: [[1, null, 3], [], null] },
    { name: 'ta', typeOid: PG_OID.TEXT_ARRAY, values: [['a', '', null, 'ü,"'], [], null] },
    { name: 'la', typeOid: PG_OID.INT8_ARRAY, values: [new BigInt64Array([1n, -1n]), [2n ** 40n], null] },
    { name: 'tsa', typeOid: PG_OID.TIMESTAMPTZ_ARRAY, values: [[when, null], [], null] },
  ];

  async function copyIn(cols: CopyInColumn[], rows: number, chunkBytes?: number): Promise<void> {
    await client.query('DROP TABLE IF EXISTS copy_in');
    await client.query(TABLE_SQL);
    await pipeline(
      Readable.from(encodeCopyBinary(cols, rows, { chunkBytes })),
      client.query(
        copyFrom(`COPY copy_in (${cols.map((c) => c.name).join(', ')}) FROM STDIN (FORMAT binary)`),
      ),
    );
  }

  it('writes every encodable type so that PostgreSQL reads back what was written', async () => {
    await copyIn(columns, 3, 64);
    const back = await client.query({
      text: `SELECT b, encode(by, 'hex'), i2, i4, i8::text, f4, f8, t, vc, bp, n::text, ts::text, tsn::text,
        d::text, u::text, j::text, js::text, ia, ta, la::text, tsa::text FROM copy_in`,
      rowMode: 'array',
    });
    expect(back.rows).toEqual([
      [
        true,
        '00ff10',
        -32768,
        -2147483648,
        '-9223372036854775808',
        0.1,
        5e-324,
        '',
        'varchar',
        'ab  ',
        '0.1',
        '1999-12-31 23:59:59.123+00',
        '2000-01-01 00:00:00.000001',
        '2000-01-01',
        uuid,
        '{"a": [1, 2]}',
        '{"keep":  "spacing"}',
        [1, null, 3],
        ['a', '', null, 'ü,"'],
        '{1,-1}',
        '{"1999-12-31 23:59:59.123+00",NULL}',
      ],
      [
        false,
        '',
        32767,
        2147483647,
        '9223372036854775807',
        Number.NaN,
        -0,
        'héllo 😀 日本',
        null,
        'abcd',
        '-123456789012345678901234567890',
        '2023-11-14 22:13:20.123456+00',
        '1970-01-01 00:00:00',
        '1969-12-31',
        uuid,
        '"é"',
        null,
        [],
        [],
        '{1099511627776}',
        '{}',
      ],
      [
        null,
        null,
        null,
        null,
        String(Number.MAX_SAFE_INTEGER),
        Number.NEGATIVE_INFINITY,
        Number.MAX_VALUE,
        'x'.repeat(5000),
        'ü',
        null,
        '-0.000000000000000000001234',
        '0001-01-01 00:00:00+00',
        null,
        null,
        null,
        null,
        '[]',
        null,
        null,
        null,
        null,
      ],
    ]);
  });

  it('reads its own writing back through COPY TO STDOUT and the decoder', async () => {
    await copyIn(columns, 3);
    const { table } = await copyOut('SELECT * FROM copy_in');
    const col = (name: string) => plainColumn(table.getChild(name));
    expect(col('i8')).toEqual([-(2n ** 63n), 2n ** 63n - 1n, BigInt(Number.MAX_SAFE_INTEGER)]);
    expect(col('ts')).toEqual([
      BigInt(when.getTime()) * 1000n,
      1_700_000_000_123_456n,
      -62_135_596_800_000_000n,
    ]);
    expect(col('tsn')).toEqual([946_684_800_000_001n, 0n, null]);
    expect(col('d')).toEqual([10957, -1, null]);
    expect(col('n')).toEqual([0.1, -1.2345678901234568e29, -1.234e-21]);
    expect(col('u')).toEqual([uuid, uuid, null]);
    expect(col('bp')).toEqual(['ab  ', 'abcd', null]);
    expect(col('la')).toEqual([[1n, -1n], [2n ** 40n], null]);
    expect(col('tsa')).toEqual([[BigInt(when.getTime()) * 1000n, null], [], null]);
  });

  it('streams many rows in chunks of about chunkBytes', async () => {
    const rows = 50_000;
    const ids = new Float64Array(rows).map((_, i) => i);
    const names = Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? null : `entity-${i}`));
    const cols: CopyInColumn[] = [
      { name: 'i8', typeOid: PG_OID.INT8, values: ids },
      { name: 't', typeOid: PG_OID.TEXT, values: names },
      { name: 'ts', typeOid: PG_OID.TIMESTAMPTZ, values: Array.from({ length: rows }, (_, i) => i * 1000) },
    ];
    const chunks = [...encodeCopyBinary(cols, rows, { chunkBytes: 16 * 1024 })];
    expect(chunks.length).toBeGreaterThan(40);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(16 * 1024);
      expect(chunk.length).toBeLessThan(16 * 1024 + 100);
    }
    await copyIn(cols, rows, 16 * 1024);
    const summary = await client.query(
      `SELECT count(*)::int AS n, sum(i8)::text AS s, count(t)::int AS t, max(ts) = to_timestamp(${rows - 1}) AS ts FROM copy_in`,
    );
    expect(summary.rows[0]).toEqual({
      n: rows,
      s: String(((rows - 1) * rows) / 2),
      t: rows - Math.ceil(rows / 11),
      ts: true,
    });
  });

  it('refuses a value of the wrong type or out of range, naming the column and the row', () => {
    const attempt = (column: CopyInColumn, rows = column.values.length) => {
      try {
        for (const _ of encodeCopyBinary([column], rows)) {
          // Draining the generator encodes every row.
        }
      } catch (error) {
        expect(EncodeError.isInstance(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('encoded without an error');
    };
    expect(attempt({ name: 'age', typeOid: PG_OID.INT4, values: [1, 2, 'three'] })).toMatch(
      /integer.*\(age\): row 2: expected an integer in \[-2147483648, 2147483647\], got the string "three"/,
    );
    expect(attempt({ name: 'small', typeOid: PG_OID.INT2, values: [40000] })).toMatch(
      /\(small\): row 0: .*got the number 40000/,
    );
    expect(attempt({ name: 'big', typeOid: PG_OID.INT8, values: [1, 2 ** 60] })).toMatch(
      /\(big\): row 1: INT64 got 1152921504606847000, beyond 2\^53 where numbers are rounded; pass a bigint/,
    );
    expect(attempt({ name: 'big', typeOid: PG_OID.INT8, values: [2n ** 63n] })).toMatch(
      /row 0: INT64 needs a bigint or a safe integer in the int64 range, got the bigint 9223372036854775808/,
    );
    expect(attempt({ name: 'x', typeOid: PG_OID.INT4, values: [1.5] })).toMatch(/row 0/);
    expect(attempt({ name: 'f', typeOid: PG_OID.FLOAT4, values: [1e39] })).toMatch(
      /\(f\): row 0: .*float4 range/,
    );
    expect(attempt({ name: 'name', typeOid: PG_OID.TEXT, values: ['ok', 42] })).toMatch(
      /\(name\): row 1: expected a string, got the number 42/,
    );
    expect(attempt({ name: 'name', typeOid: PG_OID.TEXT, values: ['a\0b'] })).toMatch(/NUL/);
    expect(attempt({ name: 'name', typeOid: PG_OID.TEXT, values: ['\uD800'] })).toMatch(/surrogate/);
    expect(attempt({ name: 'blob', typeOid: PG_OID.BYTEA, values: ['text'] })).toMatch(
      /\(blob\): row 0: expected a Uint8Array/,
    );
    expect(attempt({ name: 'ts', typeOid: PG_OID.TIMESTAMPTZ, values: [new Date(Number.NaN)] })).toMatch(
      /\(ts\): row 0: .*got an invalid Date/,
    );
    expect(attempt({ name: 'ts', typeOid: PG_OID.TIMESTAMPTZ, values: ['2024-01-01'] })).toMatch(
      /\(ts\): row 0/,
    );
    expect(attempt({ name: 'd', typeOid: PG_OID.DATE, values: [0] })).toMatch(
      /\(d\): row 0: expected a valid Date/,
    );
    expect(attempt({ name: 'u', typeOid: PG_OID.UUID, values: ['not-a-uuid'] })).toMatch(
      /\(u\): row 0: expected a uuid/,
    );
    expect(attempt({ name: 'n', typeOid: PG_OID.NUMERIC, values: ['1.2.3'] })).toMatch(
      /\(n\): row 0: expected a decimal/,
    );
    expect(attempt({ name: 'tags', typeOid: PG_OID.INT4_ARRAY, values: [[1], [2, 'x']] })).toMatch(
      /\(tags\): row 1, element 1: expected an integer/,
    );
    expect(attempt({ name: 'tags', typeOid: PG_OID.INT4_ARRAY, values: [5] })).toMatch(
      /\(tags\): row 0: expected an array/,
    );
  });

  it('checks column types and lengths before the first row', () => {
    expect(() => encodeCopyBinary([{ name: 'span', typeOid: 1186, values: [] }], 0)).toThrow(
      /\(span\).*interval/,
    );
    expect(() => encodeCopyBinary([{ name: 'short', typeOid: PG_OID.INT4, values: [1] }], 2)).toThrow(
      /\(short\).*1 values for 2 rows/,
    );
  });

  it('a PostgreSQL error for a value it refuses still surfaces (a char(4) too long)', async () => {
    await expect(copyIn([{ name: 'bp', typeOid: PG_OID.BPCHAR, values: ['too long'] }], 1)).rejects.toThrow(
      /too long for type character\(4\)/,
    );
  });
});
