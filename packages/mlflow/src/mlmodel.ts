// The MLmodel file: the YAML MLflow writes next to a model's files (flavors, signature, input example,
// uuid, versions). The signature's inputs/outputs/params are JSON strings inside the YAML; they are parsed
// here into typed specs (signature.ts turns them into zod schemas).

import { DecodeError } from '@mlops/core';
import { parse as parseYaml } from 'yaml';

/** A scalar MLflow type of a column. */
export type MlflowDataType =
  | 'double'
  | 'float'
  | 'long'
  | 'integer'
  | 'boolean'
  | 'string'
  | 'binary'
  | 'datetime';

/** The type of a column: a scalar, an array, an object, a map, or `any`. */
export type MlflowType =
  | MlflowDataType
  | { type: 'array'; items: MlflowType }
  | { type: 'object'; properties: Record<string, { type: MlflowType; required: boolean }> }
  | { type: 'map'; values: MlflowType }
  | { type: 'any' };

export interface ColSpec {
  kind: 'column';
  name: string | undefined;
  type: MlflowType;
  /** False for an optional column (`"required": false`). */
  required: boolean;
}

export interface TensorSpec {
  kind: 'tensor';
  name: string | undefined;
  /** numpy dtype: float64, float32, int64, int32, bool, str, object, … */
  dtype: string;
  /** -1 for a variable dimension. */
  shape: number[];
}

export interface ParamSpec {
  name: string;
  type: MlflowDataType;
  default: unknown;
  shape: number[] | null;
}

export interface ModelSignature {
  inputs: ColSpec[] | TensorSpec[] | undefined;
  outputs: ColSpec[] | TensorSpec[] | undefined;
  params: ParamSpec[] | undefined;
}

/** A parsed MLmodel file. `raw` has every field as written. */
export interface MLmodel {
  artifactPath: string | undefined;
  flavors: Record<string, Record<string, unknown>>;
  modelUuid: string | undefined;
  modelId: string | undefined;
  runId: string | undefined;
  mlflowVersion: string | undefined;
  utcTimeCreated: string | undefined;
  modelSizeBytes: number | undefined;
  signature: ModelSignature | undefined;
  /** Where the input example is and how it is laid out (`artifact_path`, `type`, `pandas_orient`). */
  savedInputExampleInfo: Record<string, unknown> | undefined;
  metadata: Record<string, unknown> | undefined;
  raw: Record<string, unknown>;
}

const SCALARS = new Set(['double', 'float', 'long', 'integer', 'boolean', 'string', 'binary', 'datetime']);

function bad(what: string, detail: string): DecodeError {
  return new DecodeError(
    { what, source: 'MLmodel' },
    `The MLmodel's ${what} is not what MLflow writes: ${detail}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseType(value: unknown): MlflowType {
  if (typeof value === 'string') {
    if (SCALARS.has(value)) return value as MlflowDataType;
    if (value === 'any') return { type: 'any' };
    throw bad('signature', `unknown type ${JSON.stringify(value)}`);
  }
  if (!isRecord(value))
    throw bad('signature', `a type must be a string or an object, got ${JSON.stringify(value)}`);
  const type = value.type;
  if (type === 'array') return { type: 'array', items: parseType(value.items) };
  if (type === 'map') return { type: 'map', values: parseType(value.values) };
  if (type === 'any') return { type: 'any' };
  if (type === 'object') {
    const properties: Record<string, { type: MlflowType; required: boolean }> = {};
    const props = isRecord(value.properties) ? value.properties : {};
    for (const [key, spec] of Object.entries(props)) {
      properties[key] = { type: parseType(spec), required: !isRecord(spec) || spec.required !== false };
    }
    return { type: 'object', properties };
  }
  if (typeof type === 'string' && SCALARS.has(type)) return type as MlflowDataType;
  throw bad('signature', `unknown type ${JSON.stringify(value)}`);
}

function parseSchema(text: unknown, what: string): ColSpec[] | TensorSpec[] | undefined {
  if (text === undefined || text === null) return undefined;
  let specs: unknown;
  try {
    specs = typeof text === 'string' ? JSON.parse(text) : text;
  } catch (cause) {
    throw new DecodeError({ what: `signature ${what}`, source: 'MLmodel', cause });
  }
  if (!Array.isArray(specs)) throw bad(`signature ${what}`, 'not a list of specs');
  if (specs.length > 0 && specs.every((s) => isRecord(s) && s.type === 'tensor')) {
    return specs.map((s: Record<string, unknown>) => {
      const t = s['tensor-spec'];
      if (!isRecord(t) || typeof t.dtype !== 'string' || !Array.isArray(t.shape)) {
        throw bad(
          `signature ${what}`,
          `a tensor spec needs tensor-spec.dtype and shape: ${JSON.stringify(s)}`,
        );
      }
      return {
        kind: 'tensor' as const,
        name: typeof s.name === 'string' ? s.name : undefined,
        dtype: t.dtype,
        shape: t.shape.map(Number),
      };
    });
  }
  return specs.map((s: unknown) => {
    if (!isRecord(s)) throw bad(`signature ${what}`, `a column spec must be an object: ${JSON.stringify(s)}`);
    return {
      kind: 'column' as const,
      name: typeof s.name === 'string' ? s.name : undefined,
      type: parseType(s),
      required: s.required !== false,
    };
  });
}

function parseParams(text: unknown): ParamSpec[] | undefined {
  if (text === undefined || text === null) return undefined;
  let specs: unknown;
  try {
    specs = typeof text === 'string' ? JSON.parse(text) : text;
  } catch (cause) {
    throw new DecodeError({ what: 'signature params', source: 'MLmodel', cause });
  }
  if (!Array.isArray(specs)) throw bad('signature params', 'not a list');
  return specs.map((p: unknown) => {
    if (!isRecord(p)) throw bad('signature params', `a param spec must be an object: ${JSON.stringify(p)}`);
    return {
      name: String(p.name),
      type: parseType(p.type) as MlflowDataType,
      default: p.default,
      shape: Array.isArray(p.shape) ? p.shape.map(Number) : null,
    };
  });
}

/** Parses a signature object as MLmodel holds it (`inputs`, `outputs`, `params` as JSON strings). */
export function parseSignature(signature: unknown): ModelSignature | undefined {
  if (!isRecord(signature)) return undefined;
  return {
    inputs: parseSchema(signature.inputs, 'inputs'),
    outputs: parseSchema(signature.outputs, 'outputs'),
    params: parseParams(signature.params),
  };
}

/** Parses the text of an MLmodel file. */
export function parseMLmodel(text: string): MLmodel {
  let raw: unknown;
  try {
    // logLevel 'error': a hostile text's YAML warnings (unresolved tags, unknown directives) would otherwise go
    // to process warnings, one per document — a server could flood the application's stderr.
    raw = parseYaml(text, { logLevel: 'error' });
  } catch (cause) {
    throw new DecodeError({ what: 'MLmodel YAML', source: 'MLmodel', cause });
  }
  if (!isRecord(raw)) throw bad('YAML', 'the document is not a mapping');
  const str = (v: unknown) =>
    typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
  const flavors: Record<string, Record<string, unknown>> = {};
  if (isRecord(raw.flavors))
    for (const [k, v] of Object.entries(raw.flavors)) flavors[k] = isRecord(v) ? v : {};
  return {
    artifactPath: str(raw.artifact_path),
    flavors,
    modelUuid: str(raw.model_uuid),
    modelId: str(raw.model_id),
    runId: str(raw.run_id),
    mlflowVersion: str(raw.mlflow_version),
    utcTimeCreated: str(raw.utc_time_created),
    modelSizeBytes: typeof raw.model_size_bytes === 'number' ? raw.model_size_bytes : undefined,
    signature: parseSignature(raw.signature),
    savedInputExampleInfo: isRecord(raw.saved_input_example_info) ? raw.saved_input_example_info : undefined,
    metadata: isRecord(raw.metadata) ? raw.metadata : undefined,
    raw,
  };
}

/**
 * The rows of an input example as records: a pandas `split` example (`{columns, data}`) or a list of
 * records; other layouts (tensors) are returned as they are.
 */
export function inputExampleRows(example: unknown): unknown {
  if (isRecord(example) && Array.isArray(example.columns) && Array.isArray(example.data)) {
    const columns = example.columns.map(String);
    return example.data.map((row: unknown) => {
      const values = Array.isArray(row) ? row : [];
      return Object.fromEntries(columns.map((c, i) => [c, values[i]]));
    });
  }
  if (isRecord(example) && 'dataframe_split' in example) return inputExampleRows(example.dataframe_split);
  return example;
}
