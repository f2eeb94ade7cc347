import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { FeastValue, FeastValueInput } from '../../src/codec';
import { pythonJsonDumps, ValueType } from '../../src/codec';
import { runFeast } from '../support/feast-python';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export { feastPython } from '../support/feast-python';

/** The registry file of the running platform; fails (never skips) when the platform's Feast is not up. */
export function readRegistryFile(): Uint8Array {
  const path = `${repoRoot}platform/.state/data/feast/registry.db`;
  if (!existsSync(path)) {
    throw new Error(
      `No Feast registry at ${path}: start the platform's Feast first with \`pnpm platform up feast\`.`,
    );
  }
  return readFileSync(path);
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** Runs a Python script of the feast venv with a JSON request on stdin; fails (never skips) without the venv. */
export function runFeastPython<T>(args: string[], input?: unknown, timeoutMs = 180_000): T {
  const result = runFeast('python', args, {
    cwd: repoRoot,
    ...(input === undefined ? {} : { input: JSON.stringify(input) }),
    timeoutMs,
  });
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

// ------------------------------------------------------------------ values → tagged JSON for Python

export type Tagged = null | boolean | string | Tagged[] | { [tag: string]: unknown };

const float64Hex = (n: number): string => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  return Buffer.from(view.buffer).toString('hex');
};

/** Our input value → the tagged form feast_crosscheck.py turns into the Python value a Feast user passes. */
export function tag(value: unknown, type: ValueType, numbersAs: 'i' | 'f' = 'f'): Tagged {
  if (value === null || value === undefined) return null;
  const name = Object.entries(ValueType).find(([, v]) => v === type)?.[0] ?? '';
  if (type === ValueType.JSON) return typeof value === 'string' ? value : { json: pythonJsonDumps(value) };
  if (type === ValueType.JSON_LIST) {
    return (value as unknown[]).map((v) => (typeof v === 'string' ? v : { json: pythonJsonDumps(v) }));
  }
  if (type === ValueType.ZONED_TIMESTAMP) {
    const zoned = value instanceof Date ? { date: value, zone: '' } : (value as { date: Date; zone: string });
    return { zt: String(Math.trunc(zoned.date.getTime() / 1000)), zone: zoned.zone };
  }
  const ints = name.startsWith('INT32') || name.startsWith('INT64') ? 'i' : numbersAs;
  return tagUntyped(value, ints);
}

function tagUntyped(value: unknown, numbersAs: 'i' | 'f'): Tagged {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { i: value.toString() };
  if (typeof value === 'number') return numbersAs === 'i' ? { i: String(value) } : { f: float64Hex(value) };
  if (value instanceof Uint8Array) return { y: hex(value) };
  if (value instanceof Date) return { t: String(Math.trunc(value.getTime() / 1000)) };
  if (value instanceof Set) return { set: [...value].map((v) => tagUntyped(v, numbersAs)) };
  if (value instanceof Map)
    return { sm: [...value].map(([k, v]) => [tagUntyped(k, 'f'), tagUntyped(v, 'f')]) };
  if (Array.isArray(value)) return value.map((v) => tagUntyped(v, numbersAs));
  return {
    m: Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, tagUntyped(v, 'f')]),
    ),
  };
}

// ------------------------------------------------------------------ comparing Python's canonical forms with ours

export type Canon = null | Canon[] | { [tag: string]: unknown };

/** Where `js` (our decoded value) differs from `py` (Python's canonical form of its decoded value), or null. */
export function mismatch(py: Canon | undefined, js: FeastValue | undefined, path = '$'): string | null {
  const bad = (why: string) => `${path}: ${why} (python ${JSON.stringify(py)}, ours ${describe(js)})`;
  if (py === null || py === undefined) return js === null || js === undefined ? null : bad('expected null');
  if (Array.isArray(py)) {
    if (!Array.isArray(js)) return bad('expected an array');
    if (js.length !== py.length) return bad(`length ${js.length} ≠ ${py.length}`);
    for (let i = 0; i < py.length; i++) {
      const m = mismatch(py[i] as Canon, js[i] as FeastValue, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  const [tagName, x] = Object.entries(py)[0] as [string, unknown];
  switch (tagName) {
    case 'b':
      return js === x ? null : bad('boolean differs');
    case 'i':
      return (typeof js === 'bigint' || (typeof js === 'number' && Number.isInteger(js))) &&
        BigInt(js) === BigInt(x as string)
        ? null
        : bad('integer differs');
    case 'f':
      if (typeof js !== 'number') return bad('expected a number');
      return (x === 'nan' ? Number.isNaN(js) : float64Hex(js) === x) ? null : bad('float differs');
    case 's':
      return js === x ? null : bad('string differs');
    case 'y':
      return js instanceof Uint8Array && hex(js) === x ? null : bad('bytes differ');
    case 't': {
      const zone = (py as { z?: string }).z;
      const seconds = BigInt(x as string) * 1000n;
      if (js instanceof Date)
        return BigInt(js.getTime()) === seconds && (zone === 'UTC' || zone === undefined)
          ? null
          : bad('date differs');
      if (js && typeof js === 'object' && 'date' in js && 'zone' in js && js.date instanceof Date) {
        const sameZone = js.zone === zone || (js.zone === '' && zone === 'UTC');
        return BigInt(js.date.getTime()) === seconds && sameZone ? null : bad('zoned timestamp differs');
      }
      return bad('expected a Date');
    }
    case 'set': {
      if (!Array.isArray(js)) return bad('expected an array (a set)');
      const items = x as Canon[];
      for (const item of items)
        if (!js.some((j) => mismatch(item, j) === null))
          return bad(`missing element ${JSON.stringify(item)}`);
      for (const j of js)
        if (!items.some((item) => mismatch(item, j) === null)) return bad(`extra element ${describe(j)}`);
      return null;
    }
    case 'm': {
      if (
        js === null ||
        typeof js !== 'object' ||
        Array.isArray(js) ||
        js instanceof Map ||
        js instanceof Uint8Array ||
        js instanceof Date
      ) {
        return bad('expected an object');
      }
      const record = js as Record<string, FeastValue>;
      const keys = Object.keys(x as object);
      if (Object.keys(record).length !== keys.length) return bad('key count differs');
      for (const key of keys) {
        if (!Object.hasOwn(record, key)) return bad(`missing key ${key}`);
        const m = mismatch((x as Record<string, Canon>)[key], record[key], `${path}.${key}`);
        if (m) return m;
      }
      return null;
    }
    case 'sm': {
      if (!(js instanceof Map)) return bad('expected a Map');
      const entries = x as [Canon, Canon][];
      if (js.size !== entries.length) return bad('size differs');
      for (const [k, v] of entries) {
        if (![...js].some(([jk, jv]) => mismatch(k, jk as FeastValue) === null && mismatch(v, jv) === null)) {
          return bad(`missing entry ${JSON.stringify([k, v])}`);
        }
      }
      return null;
    }
    default:
      return bad(`unknown tag ${tagName}`);
  }
}

/** Two canonical forms are equal, sets and scalar maps compared without order. */
export function canonEqual(a: Canon | undefined, b: Canon | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => canonEqual(x, b[i] as Canon))
    );
  }
  const [ta, xa] = Object.entries(a)[0] as [string, unknown];
  const [tb, xb] = Object.entries(b)[0] as [string, unknown];
  if (ta !== tb) return false;
  if (ta === 'set' || ta === 'sm') {
    const la = xa as Canon[];
    const lb = xb as Canon[];
    return la.length === lb.length && la.every((x) => lb.some((y) => canonEqual(x, y)));
  }
  if (ta === 'm') {
    const ka = Object.keys(xa as object);
    const ra = xa as Record<string, Canon>;
    const rb = xb as Record<string, Canon>;
    return (
      ka.length === Object.keys(rb).length &&
      ka.every((k) => Object.hasOwn(rb, k) && canonEqual(ra[k], rb[k]))
    );
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

export function describe(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === 'bigint'
      ? `${v}n`
      : v instanceof Uint8Array
        ? `bytes:${hex(v)}`
        : v instanceof Map
          ? [...v]
          : v,
  );
}

// ------------------------------------------------------------------ arbitraries: valid inputs of every type

const MIN_PY_SECONDS = -62_135_596_800; // 0001-01-01
const MAX_PY_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59
/** No lone UTF-16 surrogate: the string has a UTF-8 form (Python would refuse it otherwise). */
const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

export const arbString = fc.string({ unit: 'binary', maxLength: 12 }).filter(wellFormed);
const arbDate = fc.integer({ min: MIN_PY_SECONDS, max: MAX_PY_SECONDS }).map((s) => new Date(s * 1000));
const arbInt32 = fc.integer();
const arbInt64 = fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
const arbFloat = fc.float({ noNaN: true });
const arbDouble = fc.double();
const arbBytes = fc.uint8Array({ maxLength: 12 });
const arbUuid = fc.uuid();
const arbDecimal = fc
  .tuple(fc.bigInt(-(10n ** 20n), 10n ** 20n), fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? whole.toString() : `${whole}.${fraction}`));
const arbJson = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => typeof v !== 'string')
  .map((v) => JSON.parse(JSON.stringify(v)) as FeastValueInput);
const arbJsonText = arbJson.map((v) => JSON.stringify(v));

const list = <T>(arb: fc.Arbitrary<T>, nulls: boolean) =>
  fc.array(nulls ? fc.option(arb, { nil: null, freq: 8 }) : arb, { maxLength: 5 });
const set = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 5 });

/** A scalar Feast infers a type for inside maps and nested lists. */
const inferable: fc.Arbitrary<FeastValueInput> = fc.oneof(
  fc.boolean(),
  arbInt64,
  fc.double({ noNaN: true }),
  arbString,
  arbBytes,
  arbDate,
);
const inferableList: fc.Arbitrary<FeastValueInput> = fc.oneof(
  fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
  fc.array(arbInt64, { minLength: 1, maxLength: 4 }),
  fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 4 }),
  fc.array(arbString, { minLength: 1, maxLength: 4 }),
  fc.array(arbBytes, { minLength: 1, maxLength: 4 }),
  fc.array(arbDate, { minLength: 1, maxLength: 4 }),
);
const mapKey = fc.string({ maxLength: 8 });
const flatMap = fc.dictionary(mapKey, fc.oneof(inferable, inferableList, fc.constant(null)), { maxKeys: 4 });
const arbMap: fc.Arbitrary<FeastValueInput> = fc.dictionary(
  mapKey,
  fc.oneof(
    { weight: 4, arbitrary: fc.oneof(inferable, inferableList, fc.constant(null)) },
    flatMap,
    fc.array(flatMap, { minLength: 1, maxLength: 2 }),
  ),
  { maxKeys: 5 },
);
const arbScalarMap: fc.Arbitrary<FeastValueInput> = fc
  .oneof(
    fc.uniqueArray(arbInt64, { maxLength: 4 }),
    fc.uniqueArray(
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((d) => !Object.is(d, -0) && !Number.isInteger(d)),
      { maxLength: 4 },
    ),
    fc.uniqueArray(arbDate, { maxLength: 4, selector: (d) => d.getTime() }),
    fc.uniqueArray(arbBytes, { maxLength: 4, selector: (b) => hex(b) }),
  )
  .chain((keys) =>
    fc
      .array(fc.oneof(inferable, fc.constant(null)), { minLength: keys.length, maxLength: keys.length })
      .map(
        (values) =>
          new Map(
            keys.map((k, i) => [k as FeastValueInput, values[i] as FeastValueInput]),
          ) as FeastValueInput,
      ),
  )
  .filter((m) => (m as Map<unknown, unknown>).size > 0);
const arbNested = fc.array(
  fc.oneof(
    fc.constant(null),
    fc.constant([]),
    inferableList,
    // three levels: a list of lists inside the outer list
    fc.array(inferableList, { minLength: 1, maxLength: 2 }),
  ),
  { maxLength: 4 },
);
const zones = fc.constantFrom('', 'UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata');

/** For every type Feast 0.67 stores, values it accepts (and Feast Python accepts the same values). */
export const valueArbitraries: Record<string, fc.Arbitrary<FeastValueInput>> = {
  BYTES: arbBytes,
  PDF_BYTES: arbBytes,
  IMAGE_BYTES: arbBytes,
  STRING: arbString,
  INT32: arbInt32,
  INT64: arbInt64,
  DOUBLE: arbDouble,
  FLOAT: arbFloat,
  BOOL: fc.boolean(),
  UNIX_TIMESTAMP: arbDate,
  BYTES_LIST: list(arbBytes, true),
  STRING_LIST: list(arbString, true),
  INT32_LIST: list(arbInt32, true),
  INT64_LIST: list(arbInt64, true),
  DOUBLE_LIST: list(fc.double(), true),
  FLOAT_LIST: list(fc.float(), true),
  BOOL_LIST: list(fc.boolean(), true),
  UNIX_TIMESTAMP_LIST: list(arbDate, true),
  BYTES_SET: set(arbBytes),
  STRING_SET: set(arbString),
  INT32_SET: set(arbInt32),
  INT64_SET: set(arbInt64),
  DOUBLE_SET: set(fc.double({ noNaN: true })),
  FLOAT_SET: set(fc.float({ noNaN: true })),
  BOOL_SET: set(fc.boolean()),
  UNIX_TIMESTAMP_SET: set(arbDate),
  JSON: fc.oneof(arbJson, arbJsonText),
  JSON_LIST: fc.array(fc.oneof(arbJson, arbJsonText), { maxLength: 4 }),
  MAP: arbMap,
  MAP_LIST: fc.array(arbMap, { minLength: 1, maxLength: 3 }),
  STRUCT: arbMap,
  STRUCT_LIST: fc.array(arbMap, { minLength: 1, maxLength: 3 }),
  UUID: arbUuid,
  TIME_UUID: arbUuid,
  UUID_LIST: fc.array(arbUuid, { maxLength: 4 }),
  TIME_UUID_LIST: fc.array(arbUuid, { maxLength: 4 }),
  UUID_SET: set(arbUuid),
  TIME_UUID_SET: set(arbUuid),
  VALUE_LIST: arbNested,
  VALUE_SET: arbNested,
  DECIMAL: arbDecimal,
  DECIMAL_LIST: fc.array(arbDecimal, { maxLength: 4 }),
  DECIMAL_SET: set(arbDecimal),
  SCALAR_MAP: arbScalarMap,
  ZONED_TIMESTAMP: fc.record({ date: arbDate, zone: zones }),
};

/** Types whose bytes depend on hash order in Python (sets, protobuf maps): compared by meaning, not bytes. */
export const UNORDERED = new Set([
  'BYTES_SET',
  'STRING_SET',
  'INT32_SET',
  'INT64_SET',
  'DOUBLE_SET',
  'FLOAT_SET',
  'BOOL_SET',
  'UNIX_TIMESTAMP_SET',
  'UUID_SET',
  'TIME_UUID_SET',
  'DECIMAL_SET',
  'MAP',
  'MAP_LIST',
  'STRUCT',
  'STRUCT_LIST',
]);
