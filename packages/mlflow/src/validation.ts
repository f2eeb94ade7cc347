// What MLflow 3.18's server would reject or silently change, checked before anything is sent, so the
// caller gets one clear MlflowInputError instead of a 400 half-way through a batch or a truncated value.
// The limits are mlflow/utils/validation.py's: keys ≤ 250 characters, param values ≤ 6,000, run tag values
// ≤ 8,000, experiment tag values ≤ 20,000 (the server truncates longer param and tag values by default,
// MLFLOW_TRUNCATE_LONG_VALUES, which would store something else than what was logged). Lengths count code
// points, as Python's len() does.
import { MlflowInputError } from './errors';
import { toWireDouble, type WireDouble } from './run-data';

export const LIMITS = {
  /** Per log-batch request (MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH). */
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentTagValueLength: 20000,
} as const;

function codePoints(text: string, limit: number): number {
  // A string no longer than the limit in UTF-16 units is no longer in code points: skip the count.
  if (text.length <= limit) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new MlflowInputError(field, `${field} must be a string, got ${describe(value)}.`);
  }
  return value;
}

export function checkLength(value: string, limit: number, field: string, what: string): string {
  const length = codePoints(value, limit);
  if (length > limit) {
    throw new MlflowInputError(
      field,
      `${field} is ${length} characters long; MLflow keeps at most ${limit} for ${what} (the server would truncate or refuse it). Shorten it, or log long text as an artifact.`,
    );
  }
  return value;
}

export function checkKey(key: unknown, field: string): string {
  const text = checkString(key, field);
  if (text === '') throw new MlflowInputError(field, `${field} must not be empty.`);
  return checkLength(text, LIMITS.keyLength, field, 'a key');
}

/** A param value as Python's `str()` would make it: booleans are 'True'/'False'. */
export type ParamValue = string | number | boolean;

export function paramString(value: unknown, field: string): string {
  if (typeof value === 'string') return checkLength(value, LIMITS.paramValueLength, field, 'a param value');
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  throw new MlflowInputError(field, `${field} must be a string, number or boolean, got ${describe(value)}.`);
}

export function tagValue(value: unknown, field: string, limit: number = LIMITS.tagValueLength): string {
  return checkLength(checkString(value, field), limit, field, 'a tag value');
}

export function metricValue(value: unknown, field: string): WireDouble {
  if (typeof value !== 'number') {
    throw new MlflowInputError(
      field,
      `${field} must be a number (NaN and ±Infinity allowed), got ${describe(value)}.`,
    );
  }
  return toWireDouble(value);
}

/** A step: any integer a JavaScript number holds exactly. */
export function stepValue(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new MlflowInputError(
      field,
      `${field} must be an integer between -(2^53 - 1) and 2^53 - 1, got ${describe(value)}: MLflow keeps steps as int64, and a JavaScript number past 2^53 is no longer the integer you wrote.`,
    );
  }
  return value;
}

/** A timestamp in ms since the epoch: a non-negative safe integer (MLflow refuses negative ones). */
export function timestampValue(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MlflowInputError(
      field,
      `${field} must be a non-negative integer of milliseconds since the epoch (at most 2^53 - 1), got ${describe(value)}.`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}
