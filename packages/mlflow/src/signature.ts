// A model's signature as types: an MLflow signature (column-based or tensor-based) becomes a zod schema for
// one input row, and `validateInput` checks rows against it, naming the row, the column and the type
// expected. Rows are what MLflow's scoring server takes as `dataframe_records` (column-based) or one entry
// along the batch dimension of `inputs`/`instances` (tensor-based).
import { z } from 'zod';
import type { ColSpec, MLmodel, MlflowType, ModelSignature, TensorSpec } from './mlmodel';
import { type InputIssue, SignatureValidationError } from './model-errors';

/** MLflow's name for a type, as it prints them: `long`, `array<string>`, `map<double>`, `object{a: long}`. */
export function describeType(type: MlflowType): string {
  if (typeof type === 'string') return type;
  if (type.type === 'array') return `array<${describeType(type.items)}>`;
  if (type.type === 'map') return `map<${describeType(type.values)}>`;
  if (type.type === 'any') return 'any';
  const props = Object.entries(type.properties).map(
    ([k, p]) => `${k}${p.required ? '' : '?'}: ${describeType(p.type)}`,
  );
  return `object{${props.join(', ')}}`;
}

const INT32 = 2 ** 31;
const received = (value: unknown): string =>
  typeof value === 'string'
    ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
    : value === null
      ? 'null'
      : typeof value;
const isoLike = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'Invalid datetime string' });

/** The zod schema of one value of an MLflow type (JSON in, as the scoring server takes it). */
export function typeSchema(type: MlflowType): z.ZodType {
  if (typeof type === 'string') {
    switch (type) {
      case 'double':
      case 'float':
        return z.number();
      case 'long':
        // int64: exact as a bigint, or a safe integer as a number.
        return z.union(
          [z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), z.bigint()],
          {
            error: (issue) =>
              `Expected an integer (a safe integer number or a bigint), received ${received(issue.input)}`,
          },
        );
      case 'integer':
        return z
          .number()
          .int()
          .min(-INT32)
          .max(INT32 - 1);
      case 'boolean':
        return z.boolean();
      case 'string':
        return z.string();
      case 'binary':
        // Bytes, or base64 text as JSON carries them.
        return z.union([z.instanceof(Uint8Array), z.base64()], {
          error: (issue) => `Expected bytes (Uint8Array) or base64 text, received ${received(issue.input)}`,
        });
      case 'datetime':
        return z.union([z.date(), isoLike], {
          error: (issue) => `Expected a Date or an ISO 8601 date-time, received ${received(issue.input)}`,
        });
    }
  }
  switch (type.type) {
    case 'array':
      return z.array(typeSchema(type.items));
    case 'map':
      return z.record(z.string(), typeSchema(type.values));
    case 'any':
      return z.unknown();
    case 'object': {
      const shape: Record<string, z.ZodType> = {};
      for (const [key, p] of Object.entries(type.properties)) {
        shape[key] = p.required ? typeSchema(p.type) : typeSchema(p.type).nullish();
      }
      return z.strictObject(shape);
    }
  }
}

function dtypeSchema(dtype: string): z.ZodType {
  if (/^float|^double/.test(dtype)) return z.number();
  if (/^u?int/.test(dtype)) return z.union([z.number().int(), z.bigint()]);
  if (dtype === 'bool') return z.boolean();
  if (dtype === 'str' || dtype === 'object' || dtype === 'bytes') return z.string();
  return z.unknown();
}

/** Nested arrays of `shape` (-1 is any length). */
function tensorSchema(dtype: string, shape: number[]): z.ZodType {
  let schema = dtypeSchema(dtype);
  for (const dim of [...shape].reverse()) {
    const array = z.array(schema);
    schema = dim >= 0 ? array.length(dim) : array;
  }
  return schema;
}

function describeTensor(t: TensorSpec): string {
  return `tensor ${t.dtype} [${t.shape.join(', ')}]`;
}

function signatureOf(model: MLmodel | ModelSignature): ModelSignature | undefined {
  return 'flavors' in model ? model.signature : model;
}

function specsOf(model: MLmodel | ModelSignature, which: 'inputs' | 'outputs'): ColSpec[] | TensorSpec[] {
  const specs = signatureOf(model)?.[which];
  if (specs === undefined) {
    throw new SignatureValidationError([
      {
        row: -1,
        column: undefined,
        expected: `a signature with ${which}`,
        message: 'the model was logged without one',
      },
    ]);
  }
  return specs;
}

function isTensor(specs: ColSpec[] | TensorSpec[]): specs is TensorSpec[] {
  return specs[0]?.kind === 'tensor';
}

/**
 * The zod schema of one row of the model's inputs (or outputs): an object of its named columns (optional
 * columns may be absent or null; extra columns pass, as MLflow drops them), a tuple for unnamed columns, or
 * for tensors one entry along the batch dimension (named tensors: an object of them).
 */
export function signatureSchema(
  model: MLmodel | ModelSignature,
  which: 'inputs' | 'outputs' = 'inputs',
): z.ZodType {
  return schemaOfSpecs(specsOf(model, which));
}

function schemaOfSpecs(specs: ColSpec[] | TensorSpec[]): z.ZodType {
  if (isTensor(specs)) {
    const row = (t: TensorSpec) => tensorSchema(t.dtype, t.shape.slice(1));
    const only = specs.length === 1 ? specs[0] : undefined;
    if (only !== undefined && only.name === undefined) return row(only);
    return z.looseObject(Object.fromEntries(specs.map((t) => [t.name ?? '', row(t)])));
  }
  if (specs.every((c) => c.name === undefined)) {
    const items = specs.map((c) => (c.required ? typeSchema(c.type) : typeSchema(c.type).nullish()));
    const [first, ...rest] = items;
    return first === undefined ? z.tuple([]) : z.tuple([first, ...rest]);
  }
  const shape: Record<string, z.ZodType> = {};
  for (const c of specs) shape[c.name ?? ''] = c.required ? typeSchema(c.type) : typeSchema(c.type).nullish();
  return z.looseObject(shape);
}

/** What validateInput needs of a signature's inputs, built once per specs list. */
interface InputValidator {
  schema: z.ZodType;
  /** Each spec's name, by position. */
  names: Array<string | undefined>;
  /** What each column (by name, or by position when unnamed) expects, as issues print it. */
  expected: Map<string | number, string>;
  /** For a single unnamed tensor, what the whole row expects (issues then name no column). */
  whole: string | undefined;
  /** What a row whose failure names no known column expects. */
  anyRow: string;
}

// Keyed on the parsed specs list (an MLmodel and its signature share it), so the zod schema is built on the
// first validateInput of a signature, not on every call, and goes away with the signature.
const inputValidators = new WeakMap<ColSpec[] | TensorSpec[], InputValidator>();

function inputValidator(specs: ColSpec[] | TensorSpec[]): InputValidator {
  const cached = inputValidators.get(specs);
  if (cached) return cached;
  const expected = new Map<string | number, string>();
  specs.forEach((s: ColSpec | TensorSpec, i: number) => {
    const description =
      s.kind === 'tensor'
        ? describeTensor({ ...s, shape: s.shape.slice(1) })
        : `${describeType(s.type)}${s.required ? '' : ' (optional)'}`;
    expected.set(s.name ?? i, description);
  });
  const names = specs.map((s: ColSpec | TensorSpec) => s.name);
  const validator: InputValidator = {
    schema: schemaOfSpecs(specs),
    names,
    expected,
    whole:
      specs.length === 1 && specs[0]?.name === undefined && specs[0]?.kind === 'tensor'
        ? expected.get(0)
        : undefined,
    anyRow: `a row with ${names.map((n) => n ?? '?').join(', ')}`,
  };
  inputValidators.set(specs, validator);
  return validator;
}

/**
 * Checks `rows` against the model's input signature; resolves to them unchanged when they fit, else throws a
 * SignatureValidationError listing every failing row, column and expected type. The schema is built on the
 * first call for a signature and reused after; a signature is read as it is then (build a new one rather than
 * editing its specs in place).
 */
export function validateInput<Row = Record<string, unknown>>(
  model: MLmodel | ModelSignature,
  rows: readonly unknown[],
): Row[] {
  const { schema, names, expected, whole, anyRow } = inputValidator(specsOf(model, 'inputs'));
  const issues: InputIssue[] = [];
  rows.forEach((row, index) => {
    const result = schema.safeParse(row);
    if (result.success) return;
    for (const issue of result.error.issues) {
      const key = issue.path[0];
      const column =
        typeof key === 'string' ? key : typeof key === 'number' ? (names[key] ?? String(key)) : undefined;
      issues.push({
        row: index,
        column: whole === undefined ? column : undefined,
        expected:
          whole ??
          (key !== undefined && (typeof key === 'string' || typeof key === 'number')
            ? expected.get(key)
            : undefined) ??
          (typeof key === 'number' && key in names ? expected.get(names[key] ?? key) : undefined) ??
          anyRow,
        message: `${issue.message}${issue.path.length > 1 ? ` at ${issue.path.slice(1).join('.')}` : ''}`,
      });
    }
  });
  if (issues.length > 0) throw new SignatureValidationError(issues);
  return rows as Row[];
}
