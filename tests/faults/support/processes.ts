import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback TCP port (the OS's choice; closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `ready` every 50 ms until it resolves true; fails after `timeoutMs` naming what never became ready. */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what} was not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A server process the test owns: started with `start()`, and faulted for real — `pause()` (SIGSTOP: the
 * process holds its sockets but answers nothing), `resume()` (SIGCONT), `kill()` (SIGKILL), `restart()` (the same
 * command on the same port). `stop()` always ends it, and the temp directory it ran in is removed.
 */
export class ServerProcess {
  readonly dir: string;
  #child: ChildProcess | undefined;
  #output = '';

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: (dir: string) => string[],
    readonly ready: () => Promise<boolean>,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `mlops-faults-${name}-`));
  }

  /** The last 4 kB the process printed (for failure messages). */
  get output(): string {
    return this.#output;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    this.#output = '';
    // Its own process group: servers such as MLflow and the Airflow API server run their work in child processes
    // (uvicorn workers), and a fault must reach all of them, not leave an orphan serving the port.
    const child = spawn(this.command, this.args(this.dir), {
      cwd: this.dir,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child = child;
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`${this.name} exited (${code ?? signal}) while starting:\n${this.#output}`)),
      ),
    );
    exited.catch(() => {});
    await Promise.race([waitUntil(this.name, this.ready, timeoutMs), exited]);
  }

  pause(): void {
    this.#signal('SIGSTOP');
  }

  resume(): void {
    this.#signal('SIGCONT');
  }

  /** SIGKILL to the whole process group, and waits until the process is gone and its port is free again. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    const running = child.exitCode === null && child.signalCode === null;
    const gone = running ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : undefined;
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    }
    await gone;
    // The group's other members (workers) die with the signal too; wait until none is left.
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(-child.pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async restart(timeoutMs = 30_000): Promise<void> {
    await this.kill();
    await this.start(timeoutMs);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #signal(signal: NodeJS.Signals): void {
    const child = this.#child;
    if (!child?.pid) throw new Error(`${this.name} is not running`);
    process.kill(-child.pid, signal);
  }
}
