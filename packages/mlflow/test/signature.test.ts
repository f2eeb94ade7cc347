// Signatures as zod schemas: every MLflow column type, optional columns, array/object/map, tensors; and
// validateInput naming the failing row, column and expected type. Fixtures are what mlflow 3.18.0 writes.
import { readFileSync } from 'node:fs';
import {
  type MLmodel,
  type ModelSignature,
  parseMLmodel,
  SignatureValidationError,
  signatureSchema,
  validateInput,
} from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import { parseSignature } from '../src/mlmodel';

const mlmodel = parseMLmodel(
  readFileSync(new URL('./fixtures/MLmodel.signatures.yaml', import.meta.url), 'utf8'),
);

const good = {
  x: 1.5,
  f: 2,
  id: 9007199254740991,
  n: -3,
  flag: true,
  s: 'a',
  b: 'AAEC',
  t: '2026-12-07T08:00:00Z',
  tags: ['a', 'b'],
  obj: { a: 1 },
  m: { k: 0.5 },
};

function failure(rows: unknown[], model: MLmodel | ModelSignature = mlmodel): SignatureValidationError {
  try {
    validateInput(model, rows);
  } catch (error) {
    if (SignatureValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('validateInput accepted rows it should refuse');
}

describe('parseMLmodel', () => {
  it('reads flavors, ids, versions, the input example info and the signature', () => {
    expect(mlmodel).toMatchObject({
      artifactPath: 'model',
      mlflowVersion: '3.18.0',
      modelId: 'm-0123456789abcdef0123456789abcdef',
      modelUuid: '9f1c6f3f0c4e4a51a1a52d7c3b3f0f11',
      savedInputExampleInfo: { artifact_path: 'input_example.json', type: 'dataframe' },
    });
    expect(Object.keys(mlmodel.flavors)).toEqual(['python_function', 'sklearn']);
    expect(mlmodel.signature?.inputs?.map((c) => c.name)).toEqual([
      'x',
      'f',
      'id',
      'n',
      'flag',
      's',
      'b',
      't',
      'opt',
      'tags',
      'obj',
      'm',
    ]);
    expect(mlmodel.signature?.outputs).toEqual([
      { kind: 'column', name: undefined, type: 'long', required: true },
    ]);
    expect(mlmodel.signature?.params).toEqual([{ name: 'k', type: 'long', default: 3, shape: null }]);
  });
});

describe('column signatures', () => {
  it('accepts a row of every type, with the optional column absent, null or present, and extra columns', () => {
    expect(
      validateInput(mlmodel, [good, { ...good, opt: null }, { ...good, opt: 'o', extra: 1 }]),
    ).toHaveLength(3);
    expect(
      signatureSchema(mlmodel).safeParse({ ...good, t: new Date(), b: new Uint8Array([1]) }).success,
    ).toBe(true);
    expect(signatureSchema(mlmodel).safeParse({ ...good, id: 2n ** 62n }).success).toBe(true);
  });

  it.each([
    ['x', 'nope', 'double'],
    ['id', 1.5, 'long'],
    ['n', 2 ** 31, 'integer'],
    ['flag', 'true', 'boolean'],
    ['s', 1, 'string'],
    ['b', 'not base64!', 'binary'],
    ['t', 'yesterday', 'datetime'],
    ['opt', 3, 'string (optional)'],
    ['tags', ['a', 1], 'array<string>'],
    ['obj', { a: 1, c: 2 }, 'object{a: long, b?: string}'],
    ['obj', { b: 'x' }, 'object{a: long, b?: string}'],
    ['m', { k: 'x' }, 'map<double>'],
  ])('refuses %s = %j, expecting %s', (column, value, expected) => {
    const error = failure([good, { ...good, [column]: value }]);
    expect(error.issues[0]).toMatchObject({ row: 1, column, expected });
    expect(error.message).toContain(`row 1, column "${column}": expected ${expected}`);
  });

  it('a missing required column is named; every failing row is listed', () => {
    const { x: _x, ...noX } = good;
    const error = failure([noX, good, { ...good, s: 2 }]);
    expect(error.issues.map((i) => [i.row, i.column])).toEqual([
      [0, 'x'],
      [2, 's'],
    ]);
  });

  it('unnamed columns are positional', () => {
    const outputs = signatureSchema(mlmodel, 'outputs');
    expect(outputs.safeParse([3]).success).toBe(true);
    expect(outputs.safeParse(['3']).success).toBe(false);
  });
});

describe('tensor signatures', () => {
  const sig = (value: ModelSignature | undefined): ModelSignature => {
    if (!value) throw new Error('no signature parsed');
    return value;
  };
  const unnamed = sig(
    parseSignature({
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2, 3]}}]',
    }),
  );
  const named = sig(
    parseSignature({
      inputs:
        '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
    }),
  );

  it('one row of an unnamed tensor is an array of its shape without the batch dimension', () => {
    const row = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(validateInput(unnamed, [row, row])).toHaveLength(2);
    const error = failure([row, [[1, 2, 3]]], unnamed);
    expect(error.issues[0]).toMatchObject({ row: 1, column: undefined, expected: 'tensor float32 [2, 3]' });
    expect(
      failure(
        [
          [
            [1, 2, 'x'],
            [4, 5, 6],
          ],
        ],
        unnamed,
      ).issues[0]?.row,
    ).toBe(0);
  });

  it('named tensors are objects of arrays', () => {
    expect(validateInput(named, [{ a: [1, 2], b: 0.5 }])).toHaveLength(1);
    const error = failure([{ a: [1.5, 2], b: 0.5 }], named);
    expect(error.issues[0]).toMatchObject({ row: 0, column: 'a', expected: 'tensor int64 [2]' });
  });
});

describe('no signature', () => {
  it('is a SignatureValidationError that says so', () => {
    const bare = parseMLmodel('flavors: {}\n');
    expect(() => signatureSchema(bare)).toThrow(/logged without one/);
  });
});

describe('validateInput builds a signature schema once', () => {
  /** A signature whose inputs count every read of their specs (building a schema reads them all). */
  function counted(inputs: ModelSignature['inputs']): { signature: ModelSignature; reads: () => number } {
    if (!inputs) throw new Error('no inputs');
    let reads = 0;
    const proxy = new Proxy(inputs, {
      get(target, key, receiver) {
        reads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    return { signature: { inputs: proxy, outputs: undefined, params: undefined }, reads: () => reads };
  }

  it('a second call with the same signature reuses the first one’s schema, on success and on failure', () => {
    const { signature, reads } = counted(mlmodel.signature?.inputs);
    expect(validateInput(signature, [good])).toHaveLength(1);
    const first = reads();
    expect(first).toBeGreaterThan(0);
    expect(validateInput(signature, [good, { ...good, opt: 'o' }])).toHaveLength(2);
    const error = failure([{ ...good, s: 1 }], signature);
    expect(error.issues[0]).toMatchObject({ row: 0, column: 's', expected: 'string' });
    expect(reads()).toBe(first);
  });

  it('an MLmodel and its signature share a schema, and the same answers', () => {
    const { signature, reads } = counted(mlmodel.signature?.inputs);
    const model: MLmodel = { ...mlmodel, signature };
    failure([{ ...good, id: 1.5 }], model);
    const first = reads();
    const viaModel = failure([{ ...good, id: 1.5 }], model);
    const viaSignature = failure([{ ...good, id: 1.5 }], signature);
    expect(reads()).toBe(first);
    expect(viaSignature.issues).toEqual(viaModel.issues);
    expect(viaModel.issues[0]).toMatchObject({ row: 0, column: 'id', expected: 'long' });
  });

  it('different signatures do not share a schema, even when called in turn', () => {
    const columns = (type: string, required: boolean): ModelSignature => {
      const parsed = parseSignature({
        inputs: JSON.stringify([{ name: 'x', type, required }]),
      });
      if (!parsed) throw new Error('no signature parsed');
      return parsed;
    };
    const asDouble = columns('double', true);
    const asString = columns('string', true);
    const optional = columns('double', false);
    for (let round = 0; round < 2; round++) {
      expect(validateInput(asDouble, [{ x: 1 }])).toHaveLength(1);
      expect(failure([{ x: 1 }], asString).issues[0]).toMatchObject({ column: 'x', expected: 'string' });
      expect(failure([{ x: 'a' }], asDouble).issues[0]).toMatchObject({ column: 'x', expected: 'double' });
      expect(validateInput(optional, [{}, { x: null }])).toHaveLength(2);
      expect(failure([{}], asDouble).issues[0]).toMatchObject({ column: 'x', expected: 'double' });
    }
  });
});
