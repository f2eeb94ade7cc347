#!/usr/bin/env node
// `pnpm fuzz`: the fuzz project (fuzz/) at FUZZ_RUNS cases per decoder — 10^6 by default here, 10^4 in the test
// command — with a new seed each run (FUZZ_SEED to replay one), then a table of cases/s per decoder.
// Extra arguments go to vitest (e.g. `pnpm fuzz fuzz/feast.test.ts -t Value`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.env.FUZZ_RUNS || '1000000';
const seed = process.env.FUZZ_SEED || String(Date.now() % 2 ** 31);
const dir = mkdtempSync(join(tmpdir(), 'mlops-fuzz-'));
const report = join(dir, 'report.jsonl');
console.log(`fuzz: ${runs} cases per decoder, seed ${seed} (replay with FUZZ_SEED=${seed})`);
const started = Date.now();
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'fuzz', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed, FUZZ_REPORT: report } },
);
let rows = [];
try {
  rows = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // No report: vitest failed before any property ran.
}
rmSync(dir, { recursive: true, force: true });
if (rows.length > 0) {
  console.log(`\n| decoder | cases | seconds | cases/s |\n|---|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.name} | ${r.cases} | ${(r.ms / 1000).toFixed(1)} | ${r.rate} |`);
  console.log(`\nfuzz: ${((Date.now() - started) / 1000).toFixed(0)} s in all, seed ${seed}`);
}
process.exit(result.status ?? 1);
