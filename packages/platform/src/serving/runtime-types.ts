// The types a model runtime is made of, and the part of onnxruntime's JavaScript API the ONNX runtime uses, typed structurally: @mlops/platform's types
// must not name the optional peer dependency `onnxruntime-node`, and `onnxruntime-web` fits the same shape.

/** A tensor as onnxruntime's `Tensor`. */
export interface OnnxTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

/** What onnxruntime says of one input or output of a session. */
export interface OnnxValueMetadataLike {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string | undefined>;
}

/** An `InferenceSession`. */
export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OnnxValueMetadataLike[];
  readonly outputMetadata?: readonly OnnxValueMetadataLike[];
  run(feeds: Record<string, OnnxTensorLike>): Promise<Record<string, OnnxTensorLike>>;
  release(): Promise<void>;
}

/** The module `onnxruntime-node` (or `onnxruntime-web`): what `import('onnxruntime-node')` gives. */
export interface OnnxRuntimeModule {
  readonly InferenceSession: {
    create(path: string, options?: Record<string, unknown>): Promise<OnnxSessionLike>;
  };
  readonly Tensor: new (type: string, data: unknown, dims: readonly number[]) => OnnxTensorLike;
}

/** One output value of one row: a scalar (int64 as bigint), or an array for a [N, m] output. */
export type OutputValue = number | bigint | string | boolean | OutputValue[];

/** A loaded model, ready to run. */
export interface ModelSession {
  readonly flavor: string;
  readonly outputNames: readonly string[];
  /** Runs rows whose values are in the signature's column order; one record of outputs per row. */
  run(rows: ReadonlyArray<readonly unknown[]>): Promise<Record<string, OutputValue>[]>;
  /** Frees the session (native memory). */
  release(): Promise<void>;
}
