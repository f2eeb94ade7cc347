// pushOnExit in a real Node process: the batch job (test/support/batch-job.ts, bundled with esbuild) ends
// normally, throws, leaves a rejection unhandled, or is sent SIGTERM; each time the Pushgateway holds its
// last value, and the process ends as Node would have ended it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pushgateway } from '../src/index';
import { PUSHGATEWAY_URL, requireUp, unique } from './support/serving';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'mlops-batch-job-'));
const bundle = join(dir, 'batch-job.cjs');
const gateway = new Pushgateway({ url: PUSHGATEWAY_URL });
const jobs: string[] = [];

beforeAll(async () => {
  await requireUp('pushgateway');
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      join(import.meta.dirname, 'support/batch-job.ts'),
      '--bundle',
      '--platform=node',
      '--format=cjs',
      `--tsconfig=${join(root, 'tsconfig.json')}`,
      '--define:__MLOPS_PACKAGE_NAME__="@mlops/metrics"',
      '--define:__MLOPS_PACKAGE_VERSION__="0.0.0-test"',
      '--log-level=warning',
      `--outfile=${bundle}`,
    ],
    { cwd: root, stdio: 'pipe' },
  );
}, 60_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const job of jobs) await gateway.delete({ job });
});

function start(mode: string): {
  child: ChildProcess;
  job: string;
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const job = unique(`mlops_test_batch_${mode}`);
  jobs.push(job);
  const child = spawn(process.execPath, [bundle, job, mode], {
    env: { ...process.env, PUSHGATEWAY_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, job, done };
}

async function pushed(job: string): Promise<string | undefined> {
  const body = (await (await fetch(`${PUSHGATEWAY_URL}/api/v1/metrics`)).json()) as {
    data: Array<{
      labels: Record<string, string>;
      mlops_test_batch_rows?: { metrics: Array<{ value: string }> };
    }>;
  };
  return body.data.find((g) => g.labels.job === job)?.mlops_test_batch_rows?.metrics[0]?.value;
}

describe('pushOnExit in a real process', { timeout: 30_000 }, () => {
  it('a job that ends normally pushes its last value and exits 0', async () => {
    const { job, done } = start('ok');
    expect(await done).toMatchObject({ code: 0, signal: null });
    expect(await pushed(job)).toBe('10');
  });

  it('a job that throws pushes, then exits 1 with the stack on stderr', async () => {
    const { job, done } = start('throw');
    const { code, stderr } = await done;
    expect(code).toBe(1);
    expect(stderr).toContain('Error: training diverged');
    expect(await pushed(job)).toBe('20');
  });

  it('an unhandled rejection pushes, then exits 1', async () => {
    const { job, done } = start('reject');
    const { code, stderr } = await done;
    expect(code).toBe(1);
    expect(stderr).toContain('the feature store is gone');
    expect(await pushed(job)).toBe('30');
  });

  it('SIGTERM pushes, then ends the process by the signal', async () => {
    const { child, job, done } = start('sigterm');
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.kill('SIGTERM');
    expect(await done).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(await pushed(job)).toBe('40');
  });
});
