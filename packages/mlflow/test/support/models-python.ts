// Python's MlflowClient for the interop tests, in one long-lived process (mlflow_helper.py): mlflow's import
// costs seconds of CPU on this machine, so it is paid once per test file, not once per call.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { trackingUri } from './models-platform';

const root = resolve(import.meta.dirname, '../../../..');
export const mlflowPython = resolve(root, 'platform/.state/venvs/mlflow/bin/python');

export class MlflowPython {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: Array<(line: string) => void> = [];
  #stderr = '';
  readonly ready: Promise<string>;

  constructor() {
    if (!existsSync(mlflowPython)) {
      throw new Error(
        `The MLflow venv of the platform is missing (${mlflowPython}): run \`pnpm platform up mlflow\`.`,
      );
    }
    this.#child = spawn(mlflowPython, [resolve(import.meta.dirname, 'mlflow_helper.py')], {
      env: {
        ...process.env,
        MLFLOW_TRACKING_URI: trackingUri,
        MLFLOW_ENABLE_TELEMETRY: 'false',
        MLFLOW_DISABLE_TELEMETRY: 'true',
        DO_NOT_TRACK: 'true',
        GIT_PYTHON_REFRESH: 'quiet',
      },
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
    this.ready = this.#next().then((line) => (JSON.parse(line) as { ready: string }).ready);
  }

  #next(): Promise<string> {
    return new Promise((resolveLine, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`mlflow_helper.py exited (${code}): ${this.#stderr}`));
      this.#child.once('exit', onExit);
      this.#waiting.push((line) => {
        this.#child.off('exit', onExit);
        resolveLine(line);
      });
    });
  }

  /**
   * Calls one function of mlflow_helper.py; its exception becomes an Error with the Python traceback. Python's
   * None arrives as undefined, which is how the TypeScript client says "not set".
   */
  async call<T>(fn: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.ready;
    const answer = this.#next();
    this.#child.stdin.write(`${JSON.stringify({ fn, args })}\n`);
    const parsed = JSON.parse(await answer, (_key, value: unknown) =>
      value === null ? undefined : value,
    ) as {
      ok?: T;
      error?: string;
    };
    if (parsed.error !== undefined) throw new Error(`Python ${fn} failed: ${parsed.error}`);
    return parsed.ok as T;
  }

  close(): void {
    this.#lines.close();
    this.#child.stdin.end();
    this.#child.kill();
  }
}
