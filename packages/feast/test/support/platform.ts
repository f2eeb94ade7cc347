import { resolve } from 'node:path';
import { readPins } from '../../../../scripts/pins.mjs';
import { runFeast } from './feast-python';

export { feastCli, feastPython } from './feast-python';

/** The repository root, and the platform's Feast repo and venv (started by `pnpm platform up`). */
export const root = resolve(import.meta.dirname, '../../../..');
export const feastRepo = resolve(root, 'platform/feast');
export const feastSqlYaml = resolve(feastRepo, 'sql-registry/feature_store.yaml');

export const pins: Record<string, string> = readPins();

/** Runs the pinned feast CLI with `-c REPO` (the platform repo by default); fails loudly with its stderr. */
export function feast(args: string[], repo: string = feastRepo): string {
  const result = runFeast('cli', ['-c', repo, ...args]);
  if (result.status !== 0)
    throw new Error(`feast ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Runs Python in the Feast venv with a JSON argument; returns its stdout parsed as JSON. */
export function feastPythonJson<T>(script: string, input: unknown = null): T {
  const result = runFeast('python', ['-c', script, JSON.stringify(input)], { cwd: root });
  if (result.status !== 0) throw new Error(`Feast Python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
