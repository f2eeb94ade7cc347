import { DecodeError, MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

const ENCODE_ERROR_MARKER: symbol = Symbol.for('@mlops/feast.EncodeError');

export interface EncodeErrorInit {
  /** What was being encoded: 'feast.types.Value', 'entity key', ... */
  what: string;
  /** The join key, feature or field the bad value belongs to, when known. */
  field?: string | undefined;
  cause?: unknown;
}

/**
 * A value that cannot be written in Feast's format: a type Feast does not support there (a FLOAT join key),
 * or a value that does not fit its declared type (an INT32 out of range, a non-integer INT64).
 */
export class EncodeError extends MlopsError {
  static override readonly marker: symbol = ENCODE_ERROR_MARKER;
  static override isInstance(value: unknown): value is EncodeError {
    return hasErrorMarker(value, ENCODE_ERROR_MARKER);
  }

  readonly what: string;
  readonly field: string | undefined;

  constructor(init: EncodeErrorInit, message: string) {
    super(`Cannot encode ${init.what}${init.field ? ` (${init.field})` : ''}: ${message}`, {
      cause: init.cause,
    });
    this.what = init.what;
    this.field = init.field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), what: this.what, field: this.field };
  }
}

/** Where bytes being decoded came from, carried into a DecodeError. */
export interface DecodeContext {
  /** Where the bytes came from: a Redis key, a file. */
  source?: string | undefined;
  /** A sub-location: a Redis hash field, a feature name, a join key. */
  field?: string | undefined;
}

export function decodeError(what: string, ctx: DecodeContext | undefined, reason: string, cause?: unknown) {
  return new DecodeError(
    { what, source: ctx?.source, field: ctx?.field, cause },
    `Could not decode ${what}${ctx?.source ? ` from ${ctx.source}` : ''}${ctx?.field ? ` (field ${ctx.field})` : ''}: ${reason}.`,
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` is valid Unicode (no lone surrogate), so that it has a UTF-8 encoding. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
