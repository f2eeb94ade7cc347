#!/usr/bin/env node
// `pnpm fuzz`: the fuzz project (fuzz/) at FUZZ_RUNS cases per decoder — 10^6 by default here, 10^4 in the test
// command — with a new seed each run (FUZZ_SEED to replay one), then a table of cases/s per decoder.
// Extra arguments go to vitest (e.g. `pnpm fuzz fuzz/feast.test.ts -t Value`). FUZZ_UNTIL (ISO time) stops
// every property by then, passing with the cases it reached; the table then shows them. The table gives
// cases per wall-clock second and per CPU-second (the one a loaded machine hardly changes), and the load.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.env.FUZZ_RUNS || '1000000';
const seed = process.env.FUZZ_SEED || String(Date.now() % 2 ** 31);
const dir = mkdtempSync(join(tmpdir(), 'mlops-fuzz-'));
// FUZZ_REPORT names a file that keeps the JSON lines (one per property); by default a temporary one.
const report = process.env.FUZZ_REPORT || join(dir, 'report.jsonl');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`fuzz: ${runs} cases per decoder, seed ${seed} (replay with FUZZ_SEED=${seed})`);
// Progress lines (every FUZZ_PROGRESS cases) as they happen: vitest shows a test's output only when it ends.
const progress = process.env.FUZZ_PROGRESS_FILE || join(tmpdir(), `mlops-fuzz-progress-${seed}.log`);
console.log(`fuzz: started ${new Date().toISOString()}, load average ${load()}; progress in ${progress}`);
const started = Date.now();
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'fuzz', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_RUNS: runs,
      FUZZ_SEED: seed,
      FUZZ_REPORT: report,
      FUZZ_PROGRESS_FILE: progress,
    },
  },
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
  console.log(`\n| decoder | cases | seconds | cases/s | cases/CPU-s |\n|---|---:|---:|---:|---:|`);
  for (const r of rows) {
    const cases = r.cases < r.runs ? `${r.cases} of ${r.runs}` : String(r.cases);
    console.log(`| ${r.name} | ${cases} | ${(r.ms / 1000).toFixed(1)} | ${r.rate} | ${r.cpuRate} |`);
  }
  console.log(
    `\nfuzz: ${((Date.now() - started) / 1000).toFixed(0)} s in all, seed ${seed}, ended ${new Date().toISOString()}, load average ${load()}`,
  );
}
process.exit(result.status ?? 1);
