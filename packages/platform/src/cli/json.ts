/**
 * JSON for `--json` output that loses nothing: a bigint is written as the exact JSON number it is (not
 * rounded through a double, not quoted), bytes as base64, Dates as ISO 8601.
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return JSON.rawJSON(v.toString());
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      return v;
    },
    indent,
  );
}

declare global {
  interface JSON {
    /** Node 21+, Deno, Bun: a JSON text written verbatim by JSON.stringify. */
    rawJSON(text: string): unknown;
  }
}
