// Python's MlflowClient for the interop tests and the benchmark: one long-lived process of the platform's
// pinned mlflow venv (mlflow_py_server.py), so the import (seconds of CPU) is paid once per test file.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '../../../..');
export const mlflowPython = resolve(root, 'platform/.state/venvs/mlflow/bin/python');

export interface PythonMlflow {
  call<T>(op: string, args?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Starts Python's MlflowClient against `trackingUri`; fails (never skips) when the venv is missing. */
export async function startPythonMlflow(trackingUri: string): Promise<PythonMlflow> {
  if (!existsSync(mlflowPython)) {
    throw new Error(`MLflow's Python venv is missing at ${mlflowPython}: run \`pnpm platform up mlflow\`.`);
  }
  const child: ChildProcessWithoutNullStreams = spawn(
    mlflowPython,
    [resolve(import.meta.dirname, 'mlflow_py_server.py'), trackingUri],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const waiting = new Map<number, { ok: (value: unknown) => void; fail: (error: Error) => void }>();
  let ready: (() => void) | undefined;
  const started = new Promise<void>((ok, fail) => {
    ready = ok;
    child.once('exit', (code) =>
      fail(new Error(`Python MlflowClient exited (${code}) before it was ready:\n${stderr}`)),
    );
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as {
      ready?: boolean;
      id?: number;
      result?: unknown;
      error?: string;
      trace?: string;
    };
    if (message.ready) return ready?.();
    const entry = waiting.get(message.id ?? -1);
    if (!entry) return;
    waiting.delete(message.id ?? -1);
    if (message.error !== undefined)
      entry.fail(new Error(`Python MlflowClient: ${message.error}\n${message.trace ?? ''}`));
    else entry.ok(message.result);
  });
  child.once('exit', (code) => {
    for (const entry of waiting.values())
      entry.fail(new Error(`Python MlflowClient exited (${code}):\n${stderr}`));
    waiting.clear();
  });
  await started;
  let next = 0;
  return {
    call<T>(op: string, args: unknown = {}): Promise<T> {
      const id = next++;
      return new Promise<T>((ok, fail) => {
        waiting.set(id, { ok: ok as (value: unknown) => void, fail });
        child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    },
    async close() {
      child.stdin.end();
      await new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        setTimeout(() => child.kill('SIGTERM'), 2000).unref();
      });
    },
  };
}
