// The Deno notebook runs as it would in CI: Jupyter's nbconvert executes it on Deno's own kernel, installed by our
// script (platform/lib/jupyter.sh: a pinned `jupyter` venv, `deno jupyter --install` into it). A failing cell
// makes nbconvert exit non-zero, which fails this test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const notebooks = join(root, 'examples/notebooks');
const deno = process.env.MLOPS_DENO ?? join(root, '.toolchain/deno/node_modules/.bin/deno');

interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
}
interface Notebook {
  cells: Array<{ cell_type: string; source: string | string[]; outputs?: Output[] }>;
}
const text = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join('') : (value ?? '');

let jupyter = '';
let out = '';

function execute(notebook: string, cwd: string) {
  return spawnSync(
    jupyter,
    [
      'nbconvert',
      '--to',
      'notebook',
      '--execute',
      '--ExecutePreprocessor.kernel_name=deno',
      '--ExecutePreprocessor.timeout=120',
      '--output-dir',
      out,
      notebook,
    ],
    { cwd, encoding: 'utf8', timeout: 180_000 },
  );
}

beforeAll(() => {
  if (!existsSync(deno)) throw new Error(`no deno at ${deno}: run \`source scripts/bootstrap.sh\` first`);
  if (!existsSync(join(root, 'packages/feast/dist/index.js'))) {
    throw new Error('the notebook imports the built @mlops/feast: run `pnpm build` first');
  }
  const install = spawnSync('bash', [join(root, 'platform/lib/jupyter.sh'), deno], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (install.status !== 0) {
    throw new Error(`bash platform/lib/jupyter.sh failed (${install.status}):\n${install.stderr}`);
  }
  jupyter = install.stdout.trim().split('\n').at(-1)!;
  out = mkdtempSync(join(tmpdir(), 'mlops-notebook-'));
}, 320_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('the Deno notebook', () => {
  it('turns a training set into Arrow, a table and a plot', { timeout: 200_000 }, () => {
    const run = execute('training-set.ipynb', notebooks);
    expect(run.stderr).toContain('Writing');
    expect(run.status).toBe(0);
    const executed = JSON.parse(readFileSync(join(out, 'training-set.ipynb'), 'utf8')) as Notebook;
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
    expect(outputs.map((o) => text(o.text)).join('')).toContain(
      '60 rows; columns: driver_id (Int64), event_timestamp (Timestamp<MICROSECOND, UTC>), label (Int64), conv_rate (Float32), acc_rate (Float32), avg_daily_trips (Int64)',
    );
    const markdown = outputs.map((o) => text(o.data?.['text/markdown'])).join('');
    const rows = markdown.split('\n').filter((line) => line.startsWith('| 10'));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatch(/^\| 1001 \| 2026-01-01T00:00:00\.000Z \| 1 \| 0\.\d+ \| 0\.\d+ \| \d+ \|$/);
    const svg = outputs.map((o) => text(o.data?.['image/svg+xml'])).join('');
    expect(svg.match(/<rect /g)).toHaveLength(10);
  });

  it('fails when a cell fails, and runs no cell after it', { timeout: 200_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-notebook-failing-'));
    try {
      const cell = (source: string) => ({
        cell_type: 'code',
        id: `c${source.length}`,
        execution_count: null,
        metadata: {},
        outputs: [],
        source,
      });
      writeFileSync(
        join(dir, 'failing.ipynb'),
        JSON.stringify({
          cells: [
            cell('const before = 1;'),
            cell("throw new Error('this cell fails on purpose');"),
            cell("await Deno.writeTextFile('after.txt', 'ran');"),
          ],
          metadata: { kernelspec: { name: 'deno', display_name: 'Deno', language: 'typescript' } },
          nbformat: 4,
          nbformat_minor: 5,
        }),
      );
      const run = execute('failing.ipynb', dir);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('this cell fails on purpose');
      expect(existsSync(join(dir, 'after.txt'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
