// Feast's decoders under hostile bytes: Value (both decoders, which must agree), EntityKey and Redis keys, the
// registry protobuf, COPY BINARY (any chunking) and the feature server's JSON.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { DecodeError } from '@mlops/core';
import {
  decodeValue,
  deserializeEntityKey,
  type EntityKeyPart,
  encodeValue,
  parseJsonLikePython,
  parseRedisKey,
  redisKey,
  serializeEntityKey,
  ValueType,
} from '@mlops/feast/codec';
import { FeatureServerClient, FileRegistrySource, Registry, RegistrySnapshot } from '@mlops/feast/registry';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fastDecodeValue } from '../packages/feast/src/codec/fast-value';
import { RegistrySchema } from '../packages/feast/src/generated/proto/feast/core/Registry_pb';
import {
  CopyBinaryDecoder,
  encodeCopyBinary,
  PG_OID,
  type PgColumn,
} from '../packages/feast/src/offline/pg-copy';
import {
  answeringFetch,
  anyJson,
  fuzz,
  fuzzAsync,
  hostileBytes,
  hostileText,
  RUNS,
  scratchDir,
} from './support';

// ------------------------------------------------------------------------------------------------ Value

const int64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const validValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  text.map((v) => encodeValue(v, ValueType.STRING)),
  int64.map((v) => encodeValue(v, ValueType.INT64)),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => encodeValue(v, ValueType.INT32)),
  fc.double({ noNaN: true }).map((v) => encodeValue(v, ValueType.DOUBLE)),
  fc.float({ noNaN: true }).map((v) => encodeValue(v, ValueType.FLOAT)),
  fc.boolean().map((v) => encodeValue(v, ValueType.BOOL)),
  fc.uint8Array({ maxLength: 12 }).map((v) => encodeValue(v, ValueType.BYTES)),
  fc.array(text, { maxLength: 4 }).map((v) => encodeValue(v, ValueType.STRING_LIST)),
  fc.array(int64, { maxLength: 4 }).map((v) => encodeValue(v, ValueType.INT64_LIST)),
  fc.array(fc.double({ noNaN: true }), { maxLength: 4 }).map((v) => encodeValue(v, ValueType.DOUBLE_LIST)),
  fc.array(fc.boolean(), { maxLength: 4 }).map((v) => encodeValue(v, ValueType.BOOL_LIST)),
  fc
    .date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) })
    .map((v) => encodeValue(v, ValueType.UNIX_TIMESTAMP)),
);

/** The outcome of a decoder, comparable across decoders: its value, or that it refused with a DecodeError. */
function outcome(decode: () => unknown): unknown {
  try {
    return { value: decode() };
  } catch (error) {
    if (DecodeError.isInstance(error)) return 'DecodeError';
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------ EntityKey

const keyPart: fc.Arbitrary<EntityKeyPart> = fc.oneof(
  fc.record({ joinKey: text, valueType: fc.constant(ValueType.STRING), value: text }),
  fc.record({ joinKey: text, valueType: fc.constant(ValueType.INT64), value: int64 }),
  fc.record({
    joinKey: text,
    valueType: fc.constant(ValueType.INT32),
    value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({
    joinKey: text,
    valueType: fc.constant(ValueType.BYTES),
    value: fc.uint8Array({ maxLength: 8 }),
  }),
) as fc.Arbitrary<EntityKeyPart>;
const keyParts = fc.uniqueArray(keyPart, { minLength: 1, maxLength: 3, selector: (p) => p.joinKey });

// ------------------------------------------------------------------------------------------------ registry

const project = 'fuzz_project';
const registryProto = fc
  .record({
    views: fc.array(
      fc.record({
        name: fc.string({ maxLength: 6 }),
        features: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      }),
      {
        maxLength: 3,
      },
    ),
    entity: fc.string({ maxLength: 6 }),
    version: fc.string({ maxLength: 8 }),
  })
  .map(({ views, entity, version }) =>
    toBinary(
      RegistrySchema,
      create(RegistrySchema, {
        versionId: version,
        lastUpdated: { seconds: 1_700_000_000n, nanos: 5 },
        entities: [{ spec: { name: entity, project, joinKey: `${entity}_id`, valueType: ValueType.INT64 } }],
        featureViews: views.map((v) => ({
          spec: {
            name: v.name,
            project,
            entities: [entity],
            features: v.features.map((f) => ({ name: f, valueType: ValueType.DOUBLE })),
            entityColumns: [{ name: `${entity}_id`, valueType: ValueType.INT64 }],
            online: true,
            ttl: { seconds: 3600n },
          },
        })),
        featureServices: [
          { spec: { name: 'svc', project, features: views.map((v) => ({ featureViewName: v.name })) } },
        ],
      }),
    ),
  );

// ------------------------------------------------------------------------------------------------ COPY BINARY

const copyColumns: Array<{ column: PgColumn; value: fc.Arbitrary<unknown> }> = [
  { column: { name: 'i8', typeOid: PG_OID.INT8 }, value: int64 },
  { column: { name: 'i4', typeOid: PG_OID.INT4 }, value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  { column: { name: 'f8', typeOid: PG_OID.FLOAT8 }, value: fc.double() },
  { column: { name: 't', typeOid: PG_OID.TEXT }, value: text.map((s) => s.replaceAll('\0', '')) },
  { column: { name: 'b', typeOid: PG_OID.BOOL }, value: fc.boolean() },
  { column: { name: 'ts', typeOid: PG_OID.TIMESTAMPTZ }, value: fc.bigInt(0n, 4_000_000_000_000_000n) },
  { column: { name: 'n', typeOid: PG_OID.NUMERIC }, value: fc.integer().map(String) },
  { column: { name: 'a', typeOid: PG_OID.INT8_ARRAY }, value: fc.array(int64, { maxLength: 3 }) },
  { column: { name: 'j', typeOid: PG_OID.JSONB }, value: fc.constantFrom('{}', '[1,2]', '"x"') },
  {
    column: { name: 'd', typeOid: PG_OID.DATE },
    value: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }),
  },
];
const copyCase = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 0, max: copyColumns.length - 1 }), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 0, max: 5 }),
  )
  .chain(([indexes, rows]) => {
    const cols = indexes.map((i) => copyColumns[i]!);
    const rowsArb = fc.array(fc.tuple(...cols.map((c) => fc.option(c.value, { nil: null }))), {
      minLength: rows,
      maxLength: rows,
    });
    return fc.record({
      columns: fc.constant(cols.map((c) => c.column)),
      bytes: hostileBytes(
        rowsArb.map((values) =>
          Buffer.concat([
            ...encodeCopyBinary(
              cols.map((c, j) => ({ ...c.column, values: values.map((row) => row[j]) })),
              values.length,
              // Small chunks: a case is a few hundred bytes, and the default 64 KiB buffer costs more to zero.
              { chunkBytes: 256 },
            ),
          ]),
        ),
        160,
      ),
      cuts: fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 6 }),
    });
  });

// ------------------------------------------------------------------------------------------------ feature server

const serverSnapshot = new RegistrySnapshot(
  create(RegistrySchema, {
    entities: [{ spec: { name: 'driver', project, joinKey: 'driver_id', valueType: ValueType.INT64 } }],
    featureViews: [
      {
        spec: {
          name: 'stats',
          project,
          entities: ['driver'],
          features: [
            { name: 'rate', valueType: ValueType.DOUBLE },
            { name: 'trips', valueType: ValueType.INT64 },
          ],
          entityColumns: [{ name: 'driver_id', valueType: ValueType.INT64 }],
          online: true,
        },
      },
    ],
  }),
  project,
);
const validServerAnswer = fc
  .record({
    rate: fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)), {
      minLength: 2,
      maxLength: 2,
    }),
    trips: fc.array(fc.oneof(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String), fc.constant('null')), {
      minLength: 2,
      maxLength: 2,
    }),
    status: fc.constantFrom('PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE', 'NULL_VALUE', 'bogus'),
  })
  .map(
    ({ rate, trips, status }) =>
      `{"metadata":{"feature_names":["driver_id","rate","trips"]},"results":[` +
      `{"values":[1,2],"statuses":["PRESENT","PRESENT"],"event_timestamps":["1970-01-01T00:00:00Z","1970-01-01T00:00:00Z"]},` +
      `{"values":${JSON.stringify(rate)},"statuses":["${status}","PRESENT"],"event_timestamps":["2026-01-01T00:00:00.123456Z","2026-01-01T00:00:00Z"]},` +
      `{"values":[${trips.join(',')}],"statuses":["PRESENT","PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z","2026-01-01T00:00:00Z"]}]}`,
  );

/**
 * The rows of a decoded batch as comparable text, every value exact: timestamps as their int64 µs (apache-arrow's
 * row getter turns them into ms numbers, and throws a TypeError past 2^53 ms — PostgreSQL's ±infinity, which the
 * decoder keeps as the int64 extremes), everything else as the row getter gives it.
 */
function rowsAsText(batch: ReturnType<CopyBinaryDecoder['end']>[number]): string[] {
  const columns = batch.schema.fields.map((field, j) => ({
    vector: batch.getChildAt(j)!,
    timestamp: String(field.type).startsWith('Timestamp'),
  }));
  const rows: string[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row = columns.map(({ vector, timestamp }) => {
      if (!vector.isValid(i)) return null;
      if (!timestamp) return vector.get(i);
      const data = vector.data[0]!;
      const values = data.values as BigInt64Array | Int32Array;
      if (values instanceof BigInt64Array) return `${values[data.offset + i]}µs`;
      const at = 2 * (data.offset + i);
      return `${(BigInt(values[at + 1]!) << 32n) + BigInt(values[at]! >>> 0)}µs`;
    });
    rows.push(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  }
  return rows;
}

const tmp = scratchDir('mlops-fuzz-registry-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Feast decoders under hostile bytes', () => {
  it('Value: decodeValue and the fast decoder give the same value, or both a DecodeError', () => {
    fuzz('feast Value', hostileBytes(validValue), (bytes) => {
      const slow = outcome(() => decodeValue(bytes, { source: 'fuzz' }));
      const fast = outcome(() => fastDecodeValue(bytes, { source: 'fuzz' }));
      expect(fast).toEqual(slow);
    });
  });

  it('EntityKey: deserializeEntityKey answers its keys back, or a DecodeError', () => {
    fuzz(
      'feast EntityKey',
      fc.oneof(
        hostileBytes(keyParts.map((parts) => serializeEntityKey(parts))),
        keyParts.map((parts) => ({ parts })),
      ),
      (input) => {
        if (input instanceof Uint8Array) {
          deserializeEntityKey(input, { source: 'fuzz' });
          return;
        }
        const decoded = deserializeEntityKey(serializeEntityKey(input.parts));
        expect(decoded.map((p) => p.joinKey).sort()).toEqual(input.parts.map((p) => p.joinKey).sort());
      },
    );
  });

  it('Redis keys: parseRedisKey finds the project back, or a DecodeError', () => {
    fuzz('feast Redis key', hostileBytes(keyParts.map((parts) => redisKey(parts, 'proj'))), (bytes) => {
      const parsed = parseRedisKey(bytes, { source: 'fuzz' });
      expect(typeof parsed.project).toBe('string');
    });
  });

  it('registry protobuf: a snapshot, or a DecodeError (through the file registry source)', async () => {
    let n = 0;
    await fuzzAsync(
      'feast registry protobuf',
      hostileBytes(registryProto, 200),
      async (bytes) => {
        const path = join(tmp, `r${n++ % 4}.db`);
        writeFileSync(path, bytes);
        const snapshot = await new Registry(new FileRegistrySource(path), project, {
          cacheTtlSeconds: 0,
        }).snapshot();
        for (const view of snapshot.listFeatureViews())
          expect(snapshot.getFeatureView(view.name).name).toBe(view.name);
        snapshot.listEntities();
        snapshot.listFeatureServices();
      },
      Math.min(RUNS, Number(process.env.FUZZ_FILE_RUNS || RUNS)),
    );
  });

  it('COPY BINARY: decodes the same whatever the chunking, or a DecodeError', () => {
    fuzz('feast COPY BINARY', copyCase, ({ columns, bytes, cuts }) => {
      const whole = outcome(() => {
        const decoder = new CopyBinaryDecoder(columns, { batchRows: 3 });
        const batches = [...decoder.push(bytes), ...decoder.end()];
        return batches.flatMap(rowsAsText);
      });
      const pieces = outcome(() => {
        const decoder = new CopyBinaryDecoder(columns, { batchRows: 2 });
        const batches = [];
        let at = 0;
        for (const cut of cuts) {
          batches.push(...decoder.push(bytes.subarray(at, at + cut)));
          at += cut;
        }
        batches.push(...decoder.push(bytes.subarray(at)), ...decoder.end());
        return batches.flatMap(rowsAsText);
      });
      expect(pieces).toEqual(whole);
    });
  });

  // Found by `pnpm fuzz` (seed 1354271678, case 7830): PostgreSQL's ±infinity timestamps, which the decoder keeps
  // as the int64 extremes, made the oracle's apache-arrow row getter throw a TypeError (not the decoder's doing).
  it('COPY BINARY: ±infinity and ordinary timestamps read back exactly', () => {
    const header = [...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), 0, 0, 0, 0, 0, 0, 0, 0];
    const tuple = (hex: string) => [0, 1, 0, 0, 0, 8, ...Buffer.from(hex, 'hex')];
    const bytes = Uint8Array.from([
      ...header,
      ...tuple('7fffffffffffffff'),
      ...tuple('8000000000000000'),
      ...tuple('0000000000000000'),
      0xff,
      0xff,
    ]);
    const decoder = new CopyBinaryDecoder([{ name: 'ts', typeOid: PG_OID.TIMESTAMPTZ }]);
    const rows = [...decoder.push(bytes), ...decoder.end()].flatMap(rowsAsText);
    // 2000-01-01 (PostgreSQL's epoch) is 946 684 800 000 000 µs after 1970.
    expect(rows).toEqual([
      '["9223372036854775807µs"]',
      '["-9223372036854775808µs"]',
      '["946684800000000µs"]',
    ]);
  });

  it('feature server JSON: the Python-like JSON parser', () => {
    fuzz('feast feature-server JSON parser', hostileText(validServerAnswer), (text) => {
      parseJsonLikePython(text);
    });
  });

  it('feature server JSON: getOnlineFeatures over hostile answers', async () => {
    let body = '';
    const client = new FeatureServerClient({
      url: 'http://feature-server.fuzz',
      fetch: answeringFetch(() => ({ body })),
      maxRetries: 0,
    });
    await fuzzAsync(
      'feast getOnlineFeatures answer',
      fc.oneof(
        hostileText(validServerAnswer),
        anyJson.map((v) => JSON.stringify(v)),
      ),
      async (text) => {
        body = text;
        const result = await client.getOnlineFeatures(serverSnapshot, {
          features: ['stats:rate', 'stats:trips'],
          entities: { driver_id: [1, 2] },
        });
        expect(result).toBeDefined();
      },
    );
  });
});
