// JSON in and out of the serving app with int64 values kept exact: request integers beyond 2^53 become bigints
// (read from their source text), and bigints are written as plain JSON numbers, digit for digit.
import { ServingInputError } from './errors';

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const INTEGER = /^-?\d+$/;

/** JSON.parse, with integers past Number.MAX_SAFE_INTEGER as bigints (never rounded). */
export function parseJsonExact(text: string): unknown {
  const reviver: Reviver = (_key, value, context) => {
    if (typeof value !== 'number' || Number.isSafeInteger(value) || !Number.isInteger(value)) return value;
    const source = context?.source;
    if (source !== undefined) return INTEGER.test(source) ? BigInt(source) : value;
    throw new ServingInputError(
      'body',
      `The body holds the integer ${value}, beyond 2^53, and this runtime's JSON.parse cannot read it exactly (no source text access). Send it as a decimal string.`,
    );
  };
  try {
    return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
  } catch (error) {
    if (ServingInputError.isInstance(error)) throw error;
    throw new ServingInputError('body', `The body is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** JSON text of a value: bigints as numbers (exact), non-finite numbers as null, Dates as ISO strings. */
export function stringifyExact(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

function write(value: unknown, out: string[]): void {
  switch (typeof value) {
    case 'bigint':
      out.push(value.toString());
      return;
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'undefined':
    case 'function':
    case 'symbol':
      out.push('null');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (value instanceof Date) {
    out.push(JSON.stringify(value.toISOString()));
    return;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    out.push('[');
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(',');
      write(items[i], out);
    }
    out.push(']');
    return;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') {
    write(toJSON.call(value), out);
    return;
  }
  out.push('{');
  let first = true;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(k), ':');
    write(v, out);
  }
  out.push('}');
}
