// The serving kit, the fetch-style handler, the drift monitor and the Pushgateway client under every runtime
// the SDK supports: test/support/runtime-smoke.ts bundled with esbuild, run by Node 24, Node 22, Deno 2 and Bun 1.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUSHGATEWAY_URL, requireUp } from './support/serving';

const root = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'mlops-runtimes-'));
const bundle = join(dir, 'smoke.mjs');
const runtimes: Array<[string, string, string[]]> = [
  ['Node 24', process.execPath, []],
  ['Node 22', join(root, '.toolchain/node22/node_modules/node/bin/node'), []],
  ['Deno 2', join(root, '.toolchain/deno/node_modules/.bin/deno'), ['run', '-A', '--no-config']],
  ['Bun 1', join(root, '.toolchain/bun/node_modules/.bin/bun'), ['run']],
];

beforeAll(async () => {
  await requireUp('pushgateway');
  execFileSync(
    join(root, 'node_modules/.bin/esbuild'),
    [
      join(import.meta.dirname, 'support/runtime-smoke.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      `--tsconfig=${join(root, 'tsconfig.json')}`,
      '--define:__MLOPS_PACKAGE_NAME__="@mlops/metrics"',
      '--define:__MLOPS_PACKAGE_VERSION__="0.0.0-test"',
      // prom-client is CommonJS and requires Node's modules: give the ESM bundle a require.
      "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      '--log-level=warning',
      `--outfile=${bundle}`,
    ],
    { cwd: root, stdio: 'pipe' },
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('under every supported runtime', { timeout: 60_000 }, () => {
  it.each(runtimes)('%s: records, serves, monitors drift and pushes', (name, bin, args) => {
    if (!existsSync(bin))
      throw new Error(
        `${name} is missing at ${bin}: install the toolchain with: source scripts/bootstrap.sh`,
      );
    const result = spawnSync(bin, [...args, bundle], {
      encoding: 'utf8',
      env: { ...process.env, PUSHGATEWAY_URL, DENO_NO_UPDATE_CHECK: '1' },
      timeout: 50_000,
    });
    expect(result.status, `${name}: ${result.stderr}`).toBe(0);
    const line = result.stdout.trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(line)).toEqual({ ok: true, requests: true, drift: true, process: true });
  });
});
