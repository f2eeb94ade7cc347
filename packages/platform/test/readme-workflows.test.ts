/**
 * The README's workflow quick starts, run as written against the platform, with the changes a shared machine
 * needs: the Feast repo's absolute path, and an experiment name of this run's own.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPlatform } from '../src/index';
import { feastRepo } from './support/platform';
import { unique } from './support/workflows';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const dir = new URL('./.quickstarts/', import.meta.url);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function quickstart(name: string): string {
  const match = new RegExp(`<!-- quickstart:${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no quick start marked <!-- quickstart:${name} -->`);
  return match[1];
}

function replaceOnce(code: string, from: string, to: string): string {
  if (!code.includes(from)) throw new Error(`the quick start no longer contains ${JSON.stringify(from)}`);
  return code.replace(from, to);
}

/** Writes the code beside the tests (so its imports resolve as theirs do), runs it, and returns what it logged. */
async function run(name: string, code: string): Promise<unknown[][]> {
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${Date.now()}.ts`, dir);
  writeFileSync(file, code);
  const logged: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args);
  });
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ file.href);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return logged;
}

describe('README workflow quick starts', () => {
  it('buildTrainingSet: 100 rows, the features, a digest, the run', async () => {
    const experiment = unique('mlops_readme_trainset');
    let code = replaceOnce(quickstart('training-set'), "'platform/feast'", JSON.stringify(feastRepo));
    code = replaceOnce(code, "'driver-ranking'", JSON.stringify(experiment));
    const [[rows, features, digest, runId] = []] = await run('training-set', code);
    const platform = createPlatform();
    try {
      const id = (await platform.mlflow.getExperimentByName(experiment))?.experimentId;
      expect(id).toBeDefined();
      expect(rows).toBe(100);
      expect(features).toEqual(['conv_rate', 'avg_daily_trips']);
      expect(digest).toMatch(/^[0-9a-f]{32}$/);
      const logged = await platform.mlflow.getRun(String(runId));
      expect(logged.inputs.datasetInputs[0]?.dataset.digest).toBe(digest);
      if (id) await platform.mlflow.deleteExperiment(id);
    } finally {
      await platform.close();
    }
  }, 120_000);

  it('runPipeline: the XComs of a run, then the failed task of another', async () => {
    const logged = await run('pipelines', quickstart('pipelines'));
    expect(logged[0]).toEqual(['success', { total: 21 }]);
    expect(logged[1]?.[0]).toBe('fail');
    expect(String(logged[1]?.[1])).toBeTruthy();
  }, 240_000);
});
