// Our codecs against Feast 0.67's own Python code (the feast venv of the platform), on seeded random inputs of
// every type: Python encodes the same inputs and decodes our bytes; we decode Python's bytes.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeTimestamp,
  decodeValue,
  EncodeError,
  type EntityKeyPart,
  encodeTimestamp,
  encodeValue,
  type FeastValueInput,
  featureFieldName,
  redisKey,
  ValueType,
} from '../../src/codec';
import {
  arbString,
  type Canon,
  canonEqual,
  hex,
  mismatch,
  runFeastPython,
  describe as show,
  tag,
  UNORDERED,
  unhex,
  valueArbitraries,
} from './helpers';

const SCRIPT = 'packages/feast/test/codec/feast_crosscheck.py';
const SAMPLES_PER_TYPE = 25;
const PROJECT = 'mlops_demo';
const EMPTY_BYTES_TYPES = new Set(['BYTES', 'PDF_BYTES', 'IMAGE_BYTES']);

interface ValueCase {
  type: string;
  value: FeastValueInput;
  ours: string | null;
  ourError: unknown;
}
interface ValueAnswer {
  theirs: string | null;
  error: string | null;
  theirsDecoded: Canon;
  oursDecoded: Canon;
}
interface KeyCase {
  parts: EntityKeyPart[];
  version: 1 | 2 | 3;
  ours: string | null;
  ourError: unknown;
}
interface KeyAnswer {
  theirs: string | null;
  error: string | null;
  oursDecoded: [string, Canon][] | null;
}
interface Answer {
  feast: string;
  values: ValueAnswer[];
  keys: KeyAnswer[];
  fields: string[];
  timestamps: [string, [string, number]][];
}

const valueCases: ValueCase[] = [];
Object.entries(valueArbitraries).forEach(([type, arbitrary], index) => {
  const values = [null, ...fc.sample(arbitrary, { seed: 20260101 + index, numRuns: SAMPLES_PER_TYPE })];
  for (const value of values) {
    let ours: string | null = null;
    let ourError: unknown;
    try {
      ours = hex(encodeValue(value, ValueType[type as keyof typeof ValueType]));
    } catch (error) {
      ourError = error;
    }
    valueCases.push({ type, value, ours, ourError });
  }
});

// Entity keys: 1-3 join keys of every key type, versions 1-3 (v1 INT64 beyond int32 fails in both).
const arbKeyPart = fc.oneof(
  fc.record({ valueType: fc.constant(ValueType.STRING), value: arbString }),
  fc.record({ valueType: fc.constant(ValueType.BYTES), value: fc.uint8Array({ maxLength: 10 }) }),
  fc.record({ valueType: fc.constant(ValueType.INT32), value: fc.integer() }),
  fc.record({
    valueType: fc.constant(ValueType.INT64),
    value: fc.oneof(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), fc.bigInt(-1000n, 1000n)),
  }),
  fc.record({
    valueType: fc.constant(ValueType.UNIX_TIMESTAMP),
    value: fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }).map((s) => new Date(s * 1000)),
  }),
);
const arbKey = fc
  .uniqueArray(
    arbString.filter((s) => s.length > 0 && !s.endsWith('\0')),
    { minLength: 1, maxLength: 3 },
  )
  .chain((names) =>
    fc
      .array(arbKeyPart, { minLength: names.length, maxLength: names.length })
      .map((parts) => parts.map((p, i) => ({ joinKey: names[i] as string, ...p }) as EntityKeyPart)),
  );
const keyCases: KeyCase[] = fc
  .sample(fc.tuple(arbKey, fc.constantFrom(1, 2, 3, 3, 3) as fc.Arbitrary<1 | 2 | 3>), {
    seed: 7,
    numRuns: 300,
  })
  .map(([parts, version]) => {
    try {
      return { parts, version, ours: hex(redisKey(parts, PROJECT, { version })), ourError: undefined };
    } catch (error) {
      return { parts, version, ours: null, ourError: error };
    }
  });

const fieldNames = fc
  .sample(fc.tuple(arbString, arbString), { seed: 11, numRuns: 200 })
  .map(([fv, feature]) => [fv, feature] as const)
  .concat([
    ['driver_hourly_stats', 'conv_rate'],
    ['driver_all_types', 'unix_timestamp_list_val'],
  ]);

// Event timestamps (`_ts:<view>`): Python writes microseconds, but any valid Timestamp must agree.
const timestamps = fc.sample(
  fc.record({
    seconds: fc.oneof(fc.bigInt(-62_135_596_800n, 253_402_300_799n), fc.constant(0n)),
    nanos: fc.oneof(
      fc.integer({ min: 0, max: 999_999_999 }),
      fc.integer({ min: 0, max: 999_999 }).map((u) => u * 1000),
      fc.constant(0),
    ),
  }),
  { seed: 13, numRuns: 300 },
);

const typeName = (type: number) => Object.entries(ValueType).find(([, v]) => v === type)?.[0] ?? String(type);

let answer: Answer;
beforeAll(() => {
  answer = runFeastPython<Answer>([SCRIPT], {
    project: PROJECT,
    values: valueCases.map((c) => ({
      type: c.type,
      input: tag(c.value, ValueType[c.type as keyof typeof ValueType]),
      ours: c.ours,
    })),
    keys: keyCases.map((c) => ({
      version: c.version,
      ours: c.ours,
      parts: c.parts.map((p) => ({
        joinKey: p.joinKey,
        type: typeName(p.valueType),
        value: tag(p.value, p.valueType, 'i'),
      })),
    })),
    fields: fieldNames.map(([fv, feature]) => `${fv}:${feature}`),
    timestamps: timestamps.map((t) => [t.seconds.toString(), t.nanos, hex(encodeTimestamp(t))]),
  });
}, 240_000);

describe('Feast 0.67 Python and our codecs agree', () => {
  it('runs against the pinned feast', () => {
    expect(answer.feast).toBe('0.67.0');
  });

  it.each(Object.keys(valueArbitraries))(
    'Value %s: same bytes (or same meaning), decoded alike both ways',
    (type) => {
      let compared = 0;
      valueCases.forEach((c, i) => {
        if (c.type !== type) return;
        const py = answer.values[i] as ValueAnswer;
        const where = `${type} ${show(c.value)}`;
        if (py.error !== null) {
          if (/Couldn't infer value type from empty value/.test(py.error) && c.ours !== null) {
            // Feast cannot infer a type for an empty bytes/list inside a map or nested list and refuses; we write
            // it typed by the JavaScript value. Python must still read what we wrote as we do.
            const problem = mismatch(py.oursDecoded, decodeValue(unhex(c.ours)));
            expect(problem, `${where}: ${problem}`).toBeNull();
            return;
          }
          // Feast refuses it: so must we, with our typed error.
          expect(
            EncodeError.isInstance(c.ourError),
            `${where}: Feast refused (${py.error}) but we encoded ${c.ours}`,
          ).toBe(true);
          return;
        }
        if (EMPTY_BYTES_TYPES.has(type) && c.value instanceof Uint8Array && c.value.length === 0) {
          // Feast writes a lone empty bytes value as null (its type inference skips empty values); we keep the value.
          expect(py.theirs).toBe('');
          expect(c.ours).toBe('0a00');
          expect(py.oursDecoded).toEqual({ y: '' });
          return;
        }
        expect(c.ourError, `${where}: Feast encoded ${py.theirs} but we threw`).toBeUndefined();
        compared++;
        if (!UNORDERED.has(type)) expect(c.ours, `${where}: bytes differ`).toBe(py.theirs);
        // Python reads our bytes as it reads its own.
        expect(
          canonEqual(py.oursDecoded, py.theirsDecoded),
          `${where}: Python decodes ours as ${JSON.stringify(py.oursDecoded)}, its own as ${JSON.stringify(py.theirsDecoded)}`,
        ).toBe(true);
        // We read Python's bytes as Python does.
        const problem = mismatch(py.theirsDecoded, decodeValue(unhex(py.theirs as string)));
        expect(problem, `${where}: ${problem}`).toBeNull();
      });
      expect(compared).toBeGreaterThan(SAMPLES_PER_TYPE / 2);
    },
  );

  it('entity keys: same Redis keys for every key type and version; Python deserializes ours', () => {
    let compared = 0;
    keyCases.forEach((c, i) => {
      const py = answer.keys[i] as KeyAnswer;
      const where = `v${c.version} ${show(c.parts)}`;
      if (py.error !== null) {
        expect(
          EncodeError.isInstance(c.ourError),
          `${where}: Feast refused (${py.error}) but we encoded`,
        ).toBe(true);
        return;
      }
      expect(c.ourError, `${where}: we threw`).toBeUndefined();
      expect(c.ours, where).toBe(py.theirs);
      compared++;
      if (c.version === 3) {
        const sorted = [...c.parts].sort((a, b) =>
          Buffer.compare(Buffer.from(a.joinKey, 'utf8'), Buffer.from(b.joinKey, 'utf8')),
        );
        expect(py.oursDecoded?.map(([k]) => k)).toEqual(sorted.map((p) => p.joinKey));
        py.oursDecoded?.forEach(([, canon], j) => {
          const part = sorted[j] as EntityKeyPart;
          const problem = mismatch(canon, part.value as never);
          expect(problem, `${where}: ${problem}`).toBeNull();
        });
      }
    });
    expect(compared).toBeGreaterThan(200);
  });

  it('event timestamps: same Timestamp bytes, decoded alike both ways', () => {
    timestamps.forEach((t, i) => {
      const [theirs, [seconds, nanos]] = answer.timestamps[i] as [string, [string, number]];
      expect(hex(encodeTimestamp(t)), show(t)).toBe(theirs);
      expect({ seconds: BigInt(seconds), nanos }).toEqual(t);
      expect(decodeTimestamp(unhex(theirs))).toEqual(t);
    });
  });

  it('hash field names: murmur3 equals Feast _mmh3 for any UTF-8 name', () => {
    expect(fieldNames.map(([fv, feature]) => hex(featureFieldName(fv, feature)))).toEqual(answer.fields);
  });
});
