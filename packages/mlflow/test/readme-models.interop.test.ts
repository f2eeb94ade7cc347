// The README's registry quick starts, run as they are written against the platform's MLflow: "register a
// model" (with a unique model name and a local model directory made here), then "resolve models:/name@alias
// in a serving service" on what it registered (the package's sources instead of its build).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireMlflow, trackingUri, unique } from './support/models-platform';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Model registry and artifacts'));
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const name = unique('readme-model');
const dir = mkdtempSync(join(tmpdir(), 'mlflow-readme-models-'));
const modelDir = join(dir, 'model');
const servingDir = join(dir, 'serving');
const mlmodel = [
  'artifact_path: model',
  'flavors:',
  '  python_function:',
  '    loader_module: mlflow.sklearn',
  '    model_path: model.pkl',
  'mlflow_version: 3.18.0',
  'signature:',
  `  inputs: '[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "city", "required": false}]'`,
  '  outputs: \'[{"type": "long", "required": true}]\'',
  '',
].join('\n');

function module(index: number): string {
  const source = (blocks[index] ?? '')
    .replaceAll("'@mlops/mlflow'", JSON.stringify(resolve(import.meta.dirname, '../src/index.ts')))
    .replaceAll('churn-classifier', name)
    .replaceAll("'./model'", JSON.stringify(modelDir))
    .replaceAll("'/tmp/serving/churn'", JSON.stringify(servingDir));
  const file = join(dir, `block-${index}.ts`);
  writeFileSync(file, `${source}\nexport {};\n`);
  return pathToFileURL(file).href;
}

async function run(index: number): Promise<{ lines: string[]; exports: Record<string, unknown> }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  try {
    const exports = (await import(module(index))) as Record<string, unknown>;
    return { lines, exports };
  } finally {
    log.mockRestore();
  }
}

beforeAll(async () => {
  await requireMlflow();
  mkdirSync(join(modelDir, 'data'), { recursive: true });
  writeFileSync(join(modelDir, 'MLmodel'), mlmodel);
  writeFileSync(join(modelDir, 'model.pkl'), Buffer.alloc(4096, 7));
  writeFileSync(join(modelDir, 'data', 'vocab.txt'), 'a\nb\n');
});
afterEach(() => vi.unstubAllEnvs());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: model registry', () => {
  it('has the two registry quick starts', () => {
    expect(blocks).toHaveLength(2);
  });

  it('"register a model" and "resolve models:/name@alias in a serving service" run against the real server', async () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', trackingUri);
    const registered = await run(0);
    // Progress of the three files' upload, then the one version found by the search.
    const total = 4096 + 4 + Buffer.byteLength(mlmodel);
    expect(registered.lines.at(-2)).toBe(`${total}/${total} bytes`);
    expect(registered.lines.at(-1)).toBe("1 { validated: 'true' } None");

    const served = await run(1);
    expect(served.lines[0]).toMatch(
      /^1 mlflow-artifacts:\/.*\/models\/m-[0-9a-f]{32}\/artifacts 3\.18\.0 \[ 'python_function' \]$/,
    );
    expect(served.lines.at(-1)).toBe(`${total}/${total}`);
    expect(readFileSync(join(servingDir, 'model.pkl'))).toEqual(Buffer.alloc(4096, 7));
    expect(readFileSync(join(servingDir, 'data', 'vocab.txt'), 'utf8')).toBe('a\nb\n');
    const checkRows = served.exports.checkRows as (rows: unknown[]) => unknown;
    expect(checkRows([{ x: 1.5 }, { x: 2, city: 'Oslo' }])).toEqual([{ x: 1.5 }, { x: 2, city: 'Oslo' }]);
    expect(checkRows([{ x: 1 }, { x: 'one' }])).toEqual({
      status: 400,
      issues: [
        {
          row: 1,
          column: 'x',
          expected: 'double',
          message: 'Invalid input: expected number, received string',
        },
      ],
    });
  }, 120_000);
});
