import { type Data, DataType, makeData, Type } from 'apache-arrow';

/**
 * Where each output row comes from: chunk `chunk[k]`, row `index[k]` of that chunk. Built once per result and
 * shared by every column.
 */
export interface RowSources {
  chunk: Int32Array;
  index: Int32Array;
}

/** One validity bitmap for the picked rows (undefined when none is null), and the null count. */
function pickValidity(
  chunks: readonly Data[],
  from: RowSources,
): { bitmap: Uint8Array | undefined; nulls: number } {
  const n = from.chunk.length;
  if (chunks.every((c) => c.nullCount === 0)) return { bitmap: undefined, nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    if (chunks[from.chunk[k]!]!.getValid(from.index[k]!)) bitmap[k >> 3]! |= 1 << (k & 7);
    else nulls++;
  }
  return { bitmap, nulls };
}

type FixedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Uint8Array;

/**
 * The rows `from` names, of one column given as chunks, as one new Data: fixed-width values, booleans,
 * UTF-8 and binary, and lists of any of those (what the COPY decoder produces). Copies; never aliases.
 */
export function takeRows(type: DataType, chunks: readonly Data[], from: RowSources): Data {
  const n = from.chunk.length;
  const { bitmap, nulls } = pickValidity(chunks, from);
  const base = { type, length: n, nullCount: nulls, ...(bitmap ? { nullBitmap: bitmap } : {}) };
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Timestamp:
    case Type.Date: {
      // One element per row in arrow-js 21 (64-bit types are BigInt64Array, DateDay Int32Array).
      // DataType types its ArrayType as any; for these types it is the constructor of one of FixedArray.
      const Ctor: new (length: number) => FixedArray = type.ArrayType;
      const out = new Ctor(n) as Float64Array;
      for (let k = 0; k < n; k++) {
        out[k] = (chunks[from.chunk[k]!]!.values as Float64Array)[from.index[k]!]!;
      }
      if (DataType.isInt(type)) return makeData({ ...base, type, data: out });
      if (DataType.isFloat(type)) return makeData({ ...base, type, data: out });
      if (DataType.isTimestamp(type)) return makeData({ ...base, type, data: out });
      if (DataType.isDate(type)) return makeData({ ...base, type, data: out });
      throw unexpected(type);
    }
    case Type.Bool: {
      const out = new Uint8Array((n + 7) >> 3);
      for (let k = 0; k < n; k++) {
        const data = chunks[from.chunk[k]!]!;
        const bit = data.offset + from.index[k]!;
        if ((data.values as Uint8Array)[bit >> 3]! & (1 << (bit & 7))) out[k >> 3]! |= 1 << (k & 7);
      }
      if (!DataType.isBool(type)) throw unexpected(type);
      return makeData({ ...base, type, data: out });
    }
    case Type.Utf8:
    case Type.Binary: {
      const offsets = new Int32Array(n + 1);
      let bytes = 0;
      for (let k = 0; k < n; k++) {
        const o = chunks[from.chunk[k]!]!.valueOffsets as Int32Array;
        const i = from.index[k]!;
        bytes += o[i + 1]! - o[i]!;
        offsets[k + 1] = bytes;
      }
      const out = new Uint8Array(bytes);
      for (let k = 0; k < n; k++) {
        const data = chunks[from.chunk[k]!]!;
        const o = data.valueOffsets as Int32Array;
        const i = from.index[k]!;
        out.set((data.values as Uint8Array).subarray(o[i]!, o[i + 1]!), offsets[k]!);
      }
      if (DataType.isUtf8(type)) return makeData({ ...base, type, valueOffsets: offsets, data: out });
      if (DataType.isBinary(type)) return makeData({ ...base, type, valueOffsets: offsets, data: out });
      throw unexpected(type);
    }
    case Type.List: {
      // The children of the picked lists, in order, then the same take one level down.
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let k = 0; k < n; k++) {
        const o = chunks[from.chunk[k]!]!.valueOffsets as Int32Array;
        const i = from.index[k]!;
        total += o[i + 1]! - o[i]!;
        offsets[k + 1] = total;
      }
      const child: RowSources = { chunk: new Int32Array(total), index: new Int32Array(total) };
      let at = 0;
      for (let k = 0; k < n; k++) {
        const c = from.chunk[k]!;
        const o = chunks[c]!.valueOffsets as Int32Array;
        const i = from.index[k]!;
        for (let j = o[i]!; j < o[i + 1]!; j++, at++) {
          child.chunk[at] = c;
          child.index[at] = j;
        }
      }
      if (!DataType.isList(type)) throw unexpected(type);
      const children = chunks.map((c) => c.children[0]!);
      return makeData({
        ...base,
        type,
        valueOffsets: offsets,
        child: takeRows(type.valueType, children, child),
      });
    }
    default:
      throw unexpected(type);
  }
}

function unexpected(type: DataType): TypeError {
  return new TypeError(`takeRows: Arrow ${String(type)} is not a type the point-in-time result holds.`);
}
