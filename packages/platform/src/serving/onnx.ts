// The ONNX flavor: the model file MLflow's `mlflow.onnx` saved, run by onnxruntime (the optional peer dependency
// `onnxruntime-node`, imported on first use). Rows come in the signature's column order; they go to the session
// as ONE matrix input [N, columns] (what skl2onnx, and MLflow's own ONNX pyfunc, feed a single-input model) or,
// when the model has one input per column, as a [N, 1] tensor per named input.
import { join } from 'node:path';
import type { ColSpec } from '@mlops/mlflow';
import { ModelLoadError, ModelRuntimeUnavailableError } from './errors';
import type {
  ModelSession,
  OnnxRuntimeModule,
  OnnxSessionLike,
  OnnxTensorLike,
  OutputValue,
} from './runtime-types';

export const ONNX_PACKAGE = 'onnxruntime-node';

/**
 * Session options unless the caller's say otherwise: one thread per operator and between operators. A serving
 * process runs many small requests at once; onnxruntime's default pool spins a thread per core between runs,
 * taking the CPU the event loop and the online store need (bench/platform-serving.mjs).
 */
export const ONNX_SESSION_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** The module when it has onnxruntime's shape (an ES module, or a CommonJS one under `default`). */
export function asOnnxRuntime(module: unknown): OnnxRuntimeModule | undefined {
  for (const candidate of [module, isRecord(module) ? module['default'] : undefined]) {
    if (!isRecord(candidate)) continue;
    const session = candidate['InferenceSession'];
    const tensor = candidate['Tensor'];
    if (isRecord(session) && typeof session['create'] === 'function' && typeof tensor === 'function') {
      const create = session['create'];
      return {
        InferenceSession: {
          create: (path, options) => Promise.resolve(Reflect.apply(create, session, [path, options])),
        },
        Tensor: tensor as OnnxRuntimeModule['Tensor'],
      };
    }
  }
  return undefined;
}

/** How the runtime is found: `import('onnxruntime-node')` unless the caller gives one. */
export type OnnxRuntimeLoader = () => Promise<unknown>;

const defaultLoader: OnnxRuntimeLoader = () => import(/* @vite-ignore */ ONNX_PACKAGE);

let shared: Promise<OnnxRuntimeModule> | undefined;

/** Imports onnxruntime once per process (the default loader), or through the caller's loader. */
export async function loadOnnxRuntime(loader?: OnnxRuntimeLoader): Promise<OnnxRuntimeModule> {
  const load = async (fn: OnnxRuntimeLoader) => {
    let module: unknown;
    try {
      module = await fn();
    } catch (error) {
      throw new ModelRuntimeUnavailableError({ packageName: ONNX_PACKAGE, flavor: 'onnx', cause: error });
    }
    const runtime = asOnnxRuntime(module);
    if (!runtime)
      throw new ModelRuntimeUnavailableError({
        packageName: ONNX_PACKAGE,
        flavor: 'onnx',
        cause: new Error('the module loaded has no InferenceSession.create or Tensor'),
      });
    return runtime;
  };
  if (loader) return load(loader);
  shared ??= load(defaultLoader).catch((error: unknown) => {
    shared = undefined; // installed later in the same process: try again next time
    throw error;
  });
  return shared;
}

const TYPED: Record<string, (n: number) => ArrayLike<unknown> & { [i: number]: unknown }> = {
  float32: (n) => new Float32Array(n),
  float64: (n) => new Float64Array(n),
  int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint8: (n) => new Uint8Array(n),
  int8: (n) => new Int8Array(n),
  bool: (n) => new Uint8Array(n),
};

function convert(value: unknown, type: string, column: string, row: number): unknown {
  switch (type) {
    case 'int64':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'boolean') return value ? 1n : 0n;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'number' || typeof value === 'bigint') return value ? 1 : 0;
      break;
    default:
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'boolean') return value ? 1 : 0;
  }
  throw new TypeError(`row ${row}, column ${column}: ${String(value)} cannot be fed to a ${type} tensor`);
}

interface Feed {
  name: string;
  type: string;
  /** Columns (indices into the signature's columns) this input takes, in order. */
  columns: number[];
  rank: number;
}

/** Plans how the signature's columns become the session's inputs; a mismatch is a ModelLoadError. */
function planFeeds(uri: string, session: OnnxSessionLike, columns: readonly ColSpec[]): Feed[] {
  const meta = new Map((session.inputMetadata ?? []).map((m) => [m.name, m]));
  const typeOf = (name: string) => meta.get(name)?.type ?? 'float32';
  const rankOf = (name: string) => meta.get(name)?.shape?.length ?? 2;
  const names = columns.map((c) => c.name ?? '');
  if (session.inputNames.length === 1) {
    const name = session.inputNames[0]!;
    const shape = meta.get(name)?.shape;
    const width = shape?.[1];
    if (shape !== undefined && shape.length === 2 && typeof width === 'number' && width !== columns.length)
      throw new ModelLoadError(
        uri,
        'signature',
        `the ONNX input ${name} takes ${width} columns, the MLflow signature lists ${columns.length} (${names.join(', ')})`,
      );
    if (!(typeOf(name) in TYPED))
      throw new ModelLoadError(
        uri,
        'signature',
        `the ONNX input ${name} is ${typeOf(name)}, not a numeric tensor`,
      );
    return [{ name, type: typeOf(name), columns: columns.map((_, i) => i), rank: rankOf(name) }];
  }
  const missing = session.inputNames.filter((n) => !names.includes(n));
  if (missing.length > 0)
    throw new ModelLoadError(
      uri,
      'signature',
      `the ONNX model's inputs ${session.inputNames.join(', ')} are neither one matrix nor one input per signature column (${names.join(', ')}); ${missing.join(', ')} match no column`,
    );
  return session.inputNames.map((name) => ({
    name,
    type: typeOf(name),
    columns: [names.indexOf(name)],
    rank: rankOf(name),
  }));
}

/** One row's slice of an output tensor: a scalar for [N], an array for [N, m]. */
function sliceOutput(tensor: OnnxTensorLike, rows: number): OutputValue[] {
  const data = tensor.data;
  if (!isRecord(data) && !Array.isArray(data))
    throw new TypeError(`output of type ${tensor.type} is not a tensor (export without ZipMap)`);
  const values = data as ArrayLike<unknown>;
  const width = rows === 0 ? 0 : values.length / rows;
  const read = (i: number): OutputValue => {
    const v = values[i];
    if (tensor.type === 'bool') return Boolean(v);
    return v as OutputValue;
  };
  const out: OutputValue[] = [];
  for (let r = 0; r < rows; r++) {
    if (tensor.dims.length <= 1) out.push(read(r));
    else {
      const row: OutputValue[] = [];
      for (let j = 0; j < width; j++) row.push(read(r * width + j));
      out.push(row);
    }
  }
  return out;
}

export interface OnnxSessionOptions {
  /** Passed to `InferenceSession.create` (threads, execution providers, graph optimization level, ...). */
  sessionOptions?: Record<string, unknown>;
  loader?: OnnxRuntimeLoader;
}

/** Starts an onnxruntime session on the model's ONNX file, planned against its column signature. */
export async function createOnnxSession(
  uri: string,
  dir: string,
  flavorConfig: Record<string, unknown>,
  columns: readonly ColSpec[],
  options: OnnxSessionOptions = {},
): Promise<ModelSession> {
  const ort = await loadOnnxRuntime(options.loader);
  const file = typeof flavorConfig['data'] === 'string' ? flavorConfig['data'] : 'model.onnx';
  let session: OnnxSessionLike;
  try {
    session = await ort.InferenceSession.create(join(dir, file), {
      ...ONNX_SESSION_DEFAULTS,
      ...options.sessionOptions,
    });
  } catch (error) {
    throw new ModelLoadError(uri, 'runtime', `onnxruntime could not open ${file}: ${String(error)}`, {
      cause: error,
    });
  }
  let feeds: Feed[];
  try {
    feeds = planFeeds(uri, session, columns);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
  const outputNames = [...session.outputNames];
  return {
    flavor: 'onnx',
    outputNames,
    async run(rows) {
      const n = rows.length;
      const tensors: Record<string, OnnxTensorLike> = {};
      for (const feed of feeds) {
        const width = feed.columns.length;
        const data = TYPED[feed.type]!(n * width);
        for (let r = 0; r < n; r++) {
          const row = rows[r]!;
          for (let j = 0; j < width; j++) {
            const col = feed.columns[j]!;
            data[r * width + j] = convert(row[col], feed.type, columns[col]?.name ?? String(col), r);
          }
        }
        const dims = feed.rank === 1 ? [n] : [n, width];
        tensors[feed.name] = new ort.Tensor(feed.type, data, dims);
      }
      const results = await session.run(tensors);
      const perOutput = outputNames.map((name) => {
        const tensor = results[name];
        if (!tensor) throw new TypeError(`onnxruntime returned no output ${name}`);
        return sliceOutput(tensor, n);
      });
      const out: Record<string, OutputValue>[] = [];
      for (let r = 0; r < n; r++) {
        const row: Record<string, OutputValue> = {};
        outputNames.forEach((name, k) => {
          row[name] = perOutput[k]![r]!;
        });
        out.push(row);
      }
      return out;
    },
    release: () => session.release(),
  };
}
