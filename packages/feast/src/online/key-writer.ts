import { type EntityKeyPart, type EntityKeyValueType, redisKey } from '../codec/entity-key';
import { ValueType } from '../codec/value-type';

/**
 * Redis keys of one group of join keys, written straight into one Buffer per entity: the constant parts (key
 * count, join key names, project) are encoded once per request shape, and each value is written in place —
 * no per-part arrays, no DataView, no concatenation. The bytes are exactly `redisKey`'s (the test compares
 * them over every value form); values this writer does not handle (BYTES, UNIX_TIMESTAMP, INT64 of version 1,
 * a number that is not a safe integer) go through `redisKey` itself.
 *
 * The values must have been checked already (checkJoinKeyValues): a string here is well-formed, an integer in
 * range for its type.
 */
export interface KeyWriter {
  /** The key of row `row`, reading each join key's value from its column. */
  key(columns: ReadonlyArray<readonly unknown[]>, row: number): Buffer;
}

/** One join key of a group: the request column that holds its values, its name and type. */
export interface KeyPartSpec {
  column: number;
  joinKey: string;
  valueType: EntityKeyValueType;
}

const Kind = { Int64: 0, Int32: 1, Str: 2, Other: 3 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function keyWriter(parts: readonly KeyPartSpec[], project: string, version: 1 | 2 | 3): KeyWriter {
  const named = parts.map((part) => ({ part, name: utf8.encode(part.joinKey) }));
  named.sort((a, b) => compareBytes(a.name, b.name));
  const generic = genericWriter(parts, project, version);
  // Two join keys of the same name: redisKey refuses it, with its own error.
  for (let i = 1; i < named.length; i++)
    if (compareBytes(named[i - 1]!.name, named[i]!.name) === 0) return generic;

  let headerLength = version > 2 ? 4 : 0;
  for (const { name } of named) headerLength += (version > 2 ? 8 : 4) + name.length;
  const header = Buffer.alloc(headerLength);
  let offset = 0;
  if (version > 2) offset = header.writeUInt32LE(named.length, offset);
  for (const { name } of named) {
    offset = header.writeUInt32LE(ValueType.STRING, offset);
    if (version > 2) offset = header.writeUInt32LE(name.length, offset);
    header.set(name, offset);
    offset += name.length;
  }
  const suffix = Buffer.from(project, 'utf8');
  const columns = named.map(({ part }) => part.column);
  const types = named.map(({ part }) => part.valueType);
  const kinds = named.map(({ part }): Kind => {
    if (part.valueType === ValueType.INT64) return version > 1 ? Kind.Int64 : Kind.Other;
    if (part.valueType === ValueType.INT32) return Kind.Int32;
    if (part.valueType === ValueType.STRING) return Kind.Str;
    return Kind.Other;
  });
  if (kinds.includes(Kind.Other)) return generic;
  const count = named.length;
  const fixed = headerLength + suffix.length + 8 * count;

  return {
    key(values, row) {
      let length = fixed;
      for (let i = 0; i < count; i++) {
        const value = values[columns[i]!]![row];
        switch (kinds[i]) {
          case Kind.Int64:
            if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value)))
              length += 8;
            else return generic.key(values, row);
            break;
          case Kind.Int32:
            if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)))
              length += 4;
            else return generic.key(values, row);
            break;
          default:
            if (typeof value === 'string') length += Buffer.byteLength(value, 'utf8');
            else return generic.key(values, row);
        }
      }
      const out = Buffer.allocUnsafe(length);
      header.copy(out, 0);
      let at = headerLength;
      for (let i = 0; i < count; i++) {
        const value = values[columns[i]!]![row] as number | bigint | string;
        at = out.writeUInt32LE(types[i]!, at);
        switch (kinds[i]) {
          case Kind.Int64:
            at = out.writeUInt32LE(8, at);
            if (typeof value === 'bigint') at = out.writeBigInt64LE(value, at);
            else {
              const high = Math.floor((value as number) / TWO_32);
              at = out.writeUInt32LE((value as number) - high * TWO_32, at);
              at = out.writeInt32LE(high, at);
            }
            break;
          case Kind.Int32:
            at = out.writeUInt32LE(4, at);
            at = out.writeInt32LE(Number(value), at);
            break;
          default: {
            const written = out.write(value as string, at + 4, 'utf8');
            out.writeUInt32LE(written, at);
            at += 4 + written;
          }
        }
      }
      suffix.copy(out, at);
      return out;
    },
  };
}

/** redisKey of the row's parts, as a Buffer over the same bytes (ioredis sends Buffers as bytes). */
function genericWriter(parts: readonly KeyPartSpec[], project: string, version: 1 | 2 | 3): KeyWriter {
  return {
    key(values, row) {
      const keyParts: EntityKeyPart[] = parts.map((p) => ({
        joinKey: p.joinKey,
        valueType: p.valueType,
        value: values[p.column]![row] as EntityKeyPart['value'],
      }));
      const bytes = redisKey(keyParts, project, { version });
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}
