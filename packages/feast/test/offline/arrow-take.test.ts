// takeRows, which puts a key-ordered point-in-time result back in entity order: against reading each row with
// get(), for every type the COPY decoder produces, over several chunks, with nulls.
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  TimestampMicrosecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeRows } from '../../src/offline/arrow-take';

const types: Array<[string, DataType, fc.Arbitrary<unknown>]> = [
  ['int64', new Int64(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['int32', new Int32(), fc.integer()],
  ['float32', new Float32(), fc.float({ noNaN: true }).map((v) => Math.fround(v))],
  ['float64', new Float64(), fc.double({ noNaN: true })],
  ['bool', new Bool(), fc.boolean()],
  ['utf8', new Utf8(), fc.string({ unit: 'grapheme' })],
  ['binary', new Binary(), fc.uint8Array({ maxLength: 12 })],
  ['timestamp', new TimestampMicrosecond('UTC'), fc.integer({ min: 0, max: 2 ** 40 })],
  ['date', new DateDay(), fc.integer({ min: -100_000, max: 100_000 }).map((d) => d * 86_400_000)],
  [
    'list<utf8>',
    new List(new Field('item', new Utf8(), true)),
    fc.array(fc.option(fc.string(), { nil: null }), { maxLength: 4 }),
  ],
  [
    'list<int64>',
    new List(new Field('item', new Int64(), true)),
    fc.array(fc.option(fc.bigInt({ min: -5n, max: 5n }), { nil: null }), { maxLength: 4 }),
  ],
];

const plain = (value: unknown): unknown => {
  if (value && typeof value === 'object' && 'toArray' in value) return [...(value as Vector)].map(plain);
  if (value instanceof Uint8Array) return [...value];
  return value;
};

describe('takeRows', () => {
  it.each(types)('%s: picks the named rows across chunks, nulls included', (_, type, values) => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(values, { nil: null, freq: 4 }), { minLength: 0, maxLength: 20 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.infiniteStream(fc.nat()),
        (chunkValues, picks) => {
          const vectors = chunkValues.map((v) => vectorFromArray(v as never[], type as never) as Vector);
          const chunks: Data[] = vectors.map((v) => v.data[0]!);
          const all: Array<[number, number]> = vectors.flatMap((v, c) =>
            Array.from({ length: v.length }, (_, i) => [c, i] as [number, number]),
          );
          const iterator = picks[Symbol.iterator]();
          // A shuffled selection, with repeats, of the rows of all chunks.
          const chosen = all.map(() => all[iterator.next().value % Math.max(1, all.length)]!).filter(Boolean);
          const from = {
            chunk: Int32Array.from(chosen.map(([c]) => c)),
            index: Int32Array.from(chosen.map(([, i]) => i)),
          };
          const taken = takeRows(type, chunks, from);
          const got = Array.from({ length: taken.length }, (_, k) =>
            plain(new (vectors[0]!.constructor as new (d: Data[]) => Vector)([taken]).get(k)),
          );
          const want = chosen.map(([c, i]) => plain(vectors[c]!.get(i)));
          expect(got).toEqual(want);
          expect(taken.nullCount).toBe(want.filter((v) => v === null).length);
        },
      ),
      { seed: 20261126, numRuns: 60 },
    );
  });
});
