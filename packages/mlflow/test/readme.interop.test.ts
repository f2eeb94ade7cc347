// The README's tracking code blocks, run as they are written against the platform's MLflow (with a unique
// experiment name instead of 'churn-training', and the package's sources instead of its build).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireMlflow, trackingUri, unique } from './support/platform';

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
const tracking = readme.slice(0, readme.indexOf('## Model registry and artifacts'));
const blocks = [...tracking.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

beforeAll(() => requireMlflow());
afterEach(() => vi.unstubAllEnvs());

describe('README', () => {
  it('has the tracking quick start, reading back, manual logging and error blocks', () => {
    expect(blocks).toHaveLength(4);
  });

  it('runs every tracking code block, in order, against the real server', async () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', trackingUri);
    const experimentName = unique('readme');
    const source = blocks
      .join('\n')
      .replaceAll("'@mlops/mlflow'", JSON.stringify(resolve(import.meta.dirname, '../src/index.ts')))
      .replaceAll("'churn-training'", JSON.stringify(experimentName));
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-readme-'));
    const file = join(dir, 'readme.ts');
    writeFileSync(file, `${source}\nexport {};\n`);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(format(...args));
    });
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines[0]).toBe('trained, accuracy 0.975');
    expect(lines[1]).toBe('gbm-depth-6 FINISHED 0.975 6');
    expect(lines.slice(2, 22)).toEqual(
      Array.from({ length: 20 }, (_, step) =>
        expect.stringMatching(new RegExp(`^${step} ${1 / (step + 1)} \\d{4}-`)),
      ),
    );
    expect(lines[22]).toBe("{ epochs: '3', optimizer: 'adam' }");
    expect(lines.at(-1)).toBe('RESOURCE_ALREADY_EXISTS 400');
  }, 60_000);
});
