/**
 * JSON as Feast's Python reads it (json.loads): integers beyond 2^53 kept whole as bigint. Apart from
 * value.ts so that the feature server's client can read answers without loading the protobuf runtime.
 */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

interface JsonParseContext {
  source?: string;
}

/**
 * JSON.parse as Feast's json.loads reads it: integers beyond 2^53 become bigint instead of rounded numbers
 * (where the runtime gives revivers the source text); invalid JSON comes back as the raw string, as in Feast.
 */
export function parseJsonLikePython(text: string): JsonValue {
  try {
    return parseJson(text, false);
  } catch {
    return text;
  }
}

export function parseJson(text: string, integersAsBigint: boolean): JsonValue {
  const reviver = (_key: string, value: unknown, context?: JsonParseContext): unknown => {
    if (typeof value !== 'number') return value;
    const source = context?.source;
    if (source !== undefined) {
      if (/^-?\d+$/.test(source) && (integersAsBigint || !Number.isSafeInteger(value))) return BigInt(source);
      return value;
    }
    // No source text (older runtimes): an integer beyond 2^53 cannot be told from its rounded double.
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new RangeError(`JSON integer ${value} exceeds 2^53 and this runtime cannot read it exactly`);
    }
    return integersAsBigint && Number.isInteger(value) ? BigInt(value) : value;
  };
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown) as JsonValue;
}
