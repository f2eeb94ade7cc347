// vitest global setup of the feast project: one Feast fork server (feast_fork_server.py) for the whole run, its
// socket handed to the test workers through the environment (see feast-python.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FORK_SOCKET_ENV, feastPython } from './feast-python';

export default async function setup(): Promise<() => Promise<void>> {
  if (!existsSync(feastPython)) {
    // The tests that need Feast Python fail with the command that installs it; the others run.
    return async () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlops-feast-fork-'));
  const socket = join(dir, 'server.sock');
  const server: ChildProcess = spawn(
    feastPython,
    [resolve(import.meta.dirname, 'feast_fork_server.py'), socket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  server.stderr?.on('data', (chunk) => {
    log += String(chunk);
  });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`The Feast fork server did not start in 120 s:\n${log}`)),
      120_000,
    );
    server.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) {
        clearTimeout(timer);
        ready();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`The Feast fork server exited (${code}) before it was ready:\n${log}`));
    });
  });
  process.env[FORK_SOCKET_ENV] = socket;
  return async () => {
    delete process.env[FORK_SOCKET_ENV];
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
}
