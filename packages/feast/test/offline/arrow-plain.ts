// Arrow data in a plain form for comparisons: timestamps as raw µs bigints, dates as raw days, bytes as hex,
// lists as arrays. Shared by the COPY codec tests.
import { type Data, Type, type Vector } from 'apache-arrow';

const utf8 = new TextDecoder();

export const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * The value at row `i` of Arrow data. arrow-js slices value and offset buffers with the data, so they are
 * indexed by `i`; only bit-packed booleans (and the validity, which getValid reads) go by `offset + i`.
 */
export function valueAt(data: Data, i: number): unknown {
  if (!data.getValid(i)) return null;
  switch (data.typeId) {
    case Type.Timestamp:
    case Type.Int:
    case Type.Float:
    case Type.Date:
      return (data.values as ArrayLike<unknown>)[i];
    case Type.Bool: {
      const bit = data.offset + i;
      return ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) !== 0;
    }
    case Type.Utf8:
    case Type.Binary: {
      const bytes = (data.values as Uint8Array).subarray(data.valueOffsets[i]!, data.valueOffsets[i + 1]!);
      return data.typeId === Type.Utf8 ? utf8.decode(bytes) : hex(bytes);
    }
    case Type.List: {
      const child = data.children[0]!;
      const out = [];
      for (let k = data.valueOffsets[i]!; k < data.valueOffsets[i + 1]!; k++) out.push(valueAt(child, k));
      return out;
    }
    default:
      throw new Error(`no plain form for Arrow type ${data.type}`);
  }
}

/** Every value of a column, in plain form. */
export function plainColumn(vector: Vector | null): unknown[] {
  const out: unknown[] = [];
  for (const data of vector!.data) for (let i = 0; i < data.length; i++) out.push(valueAt(data, i));
  return out;
}
