import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readPins } from '../../../../scripts/pins.mjs';

/** The repository root, and the platform's Feast repo and venv (started by `pnpm platform up`). */
export const root = resolve(import.meta.dirname, '../../../..');
export const feastRepo = resolve(root, 'platform/feast');
export const feastSqlYaml = resolve(feastRepo, 'sql-registry/feature_store.yaml');
export const feastPython = resolve(root, 'platform/.state/venvs/feast/bin/python');
export const feastCli = resolve(root, 'platform/.state/venvs/feast/bin/feast');

export const pins: Record<string, string> = readPins();

function requireFeastVenv(): void {
  if (!existsSync(feastPython)) {
    throw new Error('The Feast venv of the platform is missing: run `pnpm platform up feast` first.');
  }
}

/** Runs the pinned feast CLI with the platform repo; fails loudly with its stderr. */
export function feast(args: string[]): string {
  requireFeastVenv();
  const result = spawnSync(feastCli, ['-c', feastRepo, ...args], { encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0)
    throw new Error(`feast ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Runs Python in the Feast venv with a JSON argument; returns its stdout parsed as JSON. */
export function feastPythonJson<T>(script: string, input: unknown = null): T {
  requireFeastVenv();
  const result = spawnSync(feastPython, ['-c', script, JSON.stringify(input)], {
    encoding: 'utf8',
    cwd: root,
    timeout: 180_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`Feast Python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
