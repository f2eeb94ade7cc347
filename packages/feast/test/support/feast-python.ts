// Feast Python for the tests: scripts and the feast CLI of the platform's pinned venv, run synchronously.
// Under vitest the feast project's global setup starts feast_fork_server.py, which imports feast once and forks
// a child per run (about 5 s of CPU saved on each of the dozens of runs); elsewhere each run is a plain
// `python` / `feast` process. Either way a run sees the same argv, cwd, env, stdin and exit status.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');
export const feastPython = resolve(root, 'platform/.state/venvs/feast/bin/python');
export const feastCli = resolve(root, 'platform/.state/venvs/feast/bin/feast');
const client = resolve(import.meta.dirname, 'feast_fork_client.py');
/** Set by test/support/feast-fork-server.global.ts for the test workers. */
export const FORK_SOCKET_ENV = 'MLOPS_FEAST_FORK_SOCKET';

export interface FeastRun {
  status: number;
  stdout: string;
  stderr: string;
}

export interface FeastRunOptions {
  cwd?: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs `python ARGV…` (`kind: 'python'`) or `feast ARGV…` (`kind: 'cli'`) in the Feast venv. Fails (never
 * skips) when the venv is missing; a run that does not finish in time throws.
 */
export function runFeast(kind: 'python' | 'cli', argv: string[], options: FeastRunOptions = {}): FeastRun {
  if (!existsSync(feastPython)) {
    throw new Error(
      `The Feast venv of the platform is missing (${feastPython}): run \`pnpm platform up feast\` first.`,
    );
  }
  const timeout = options.timeoutMs ?? 180_000;
  const socket = process.env[FORK_SOCKET_ENV];
  const spawnOptions = { encoding: 'utf8' as const, timeout, maxBuffer: 256 * 1024 * 1024 };
  if (socket) {
    const request = {
      argv: kind === 'cli' ? ['--feast-cli', ...argv] : argv,
      cwd: options.cwd ?? root,
      env: options.env ?? {},
      stdin: options.input ?? '',
    };
    const result = spawnSync(feastPython, [client, socket], {
      ...spawnOptions,
      input: JSON.stringify(request),
    });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      throw new Error(`The Feast fork server did not answer (${result.status}): ${result.stderr}`);
    }
    const answer = JSON.parse(result.stdout) as { code: number; stdout: string; stderr: string };
    return { status: answer.code, stdout: answer.stdout, stderr: answer.stderr };
  }
  const result = spawnSync(kind === 'cli' ? feastCli : feastPython, argv, {
    ...spawnOptions,
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    input: options.input,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
