// The errors of the registry, artifact and model-resolution parts of @mlops/mlflow: input that is wrong before
// anything is sent (a bad models:/ URI, an artifact path that leaves its directory, rows that do not fit a
// signature). What the server answers is core's ApiError family.
import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

/** A `models:/…` or `runs:/…` URI that does not parse, or one naming something that cannot be resolved. */
export class ModelUriError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/mlflow.ModelUriError');
  static override isInstance(value: unknown): value is ModelUriError {
    return hasErrorMarker(value, ModelUriError.marker);
  }
  readonly uri: string;
  constructor(uri: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.uri = uri;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), uri: this.uri };
  }
}

/**
 * An artifact path that would read or write outside where it belongs: `..` segments, an absolute path, a
 * symlink on the way (zip-slip), or a URI this client cannot reach through the tracking server.
 */
export class ArtifactPathError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/mlflow.ArtifactPathError');
  static override isInstance(value: unknown): value is ArtifactPathError {
    return hasErrorMarker(value, ArtifactPathError.marker);
  }
  readonly path: string;
  constructor(path: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.path = path;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), path: this.path };
  }
}

/** One failure of `validateInput`: where, and what was expected. */
export interface InputIssue {
  /** Index of the row (0-based). */
  row: number;
  /** The column (or tensor) name; undefined for an unnamed tensor. */
  column: string | undefined;
  /** The MLflow type that was expected there, e.g. `long`, `array<string>`, `tensor float32 [-1, 4]`. */
  expected: string;
  /** What zod said. */
  message: string;
}

/** Rows that do not fit a model's signature. `issues` lists every failure; the message names the first. */
export class SignatureValidationError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/mlflow.SignatureValidationError');
  static override isInstance(value: unknown): value is SignatureValidationError {
    return hasErrorMarker(value, SignatureValidationError.marker);
  }
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[]) {
    const first = issues[0];
    const where = first
      ? `row ${first.row}${first.column === undefined ? '' : `, column ${JSON.stringify(first.column)}`}`
      : 'input';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue(s))` : '';
    super(
      `The input does not match the model's signature at ${where}: expected ${first?.expected ?? 'a valid value'}: ${first?.message ?? ''}${more}. Fix the value or the signature the model was logged with.`,
    );
    this.issues = issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}
