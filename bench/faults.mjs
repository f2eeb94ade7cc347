// The fault scenarios of tests/faults in their long form (issue 15): FAULTS_PROFILE=long runs each at 2k
// requests/s with phases six times longer (Redis paused ~9 s, killed and restarted, a cluster master failed
// over, Toxiproxy latency and resets), MLflow restarted during a withRun of 100k metrics, the Airflow API server
// restarted during a wait, a 30 s log store outage, PostgreSQL faulted mid-stream. The scenarios are the test
// files themselves (vitest, project `faults`), so the long form checks exactly what the test command checks;
// each appends its figures to a JSON-lines report that this script turns into a table.
// Usage: pnpm --filter @mlops/bench faults   [FAULTS_RATE=2000] [FILES="feast-online-redis feast-online-cluster"]
// Needs the platform (pnpm platform up --and toxiproxy). Sources are used directly (no build needed).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResults } from './lib.mjs';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const report = join(tmpdir(), `mlops-faults-${process.pid}.jsonl`);
rmSync(report, { force: true });
const files = (process.env.FILES ?? '').split(/\s+/).filter(Boolean);
const started = Date.now();
const run = spawnSync(
  join(root, 'node_modules/.bin/vitest'),
  ['run', '--project=faults', '--maxWorkers=1', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FAULTS_PROFILE: 'long', FAULTS_REPORT: report },
  },
);
const rows = readFileSync(report, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const fmt = (n, digits = 0) => (n === undefined || n === null ? '—' : Number(n).toFixed(digits));
const markdown = [
  `Fault scenarios, long form (FAULTS_PROFILE=long), ${new Date().toISOString().slice(0, 10)}, ${((Date.now() - started) / 1000).toFixed(0)} s; vitest exit ${run.status}.`,
  '',
  `| scenario | calls | ok | typed errors | wrong values | untyped errors | late (> deadline + ${process.env.FAULTS_SLACK_MS ?? 10} ms) | longest call ms | p99 ms | event-loop delay max ms | recovery ms |`,
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows
    .filter((r) => r.calls !== undefined)
    .map(
      (r) =>
        `| ${r.scenario} | ${fmt(r.calls)} | ${fmt(r.ok)} | ${fmt(r.typedErrors)} | ${fmt(r.wrongValues)} | ${fmt(r.untypedErrors)} | ${fmt(r.overDeadline)} | ${fmt(r.maxMs, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.loopDelayMaxMs, 1)} | ${r.recoveryMs === null ? 'never' : fmt(r.recoveryMs)} |`,
    ),
  '',
  '| scenario | figures |',
  '|---|---|',
  ...rows
    .filter((r) => r.calls === undefined)
    .map(
      ({ scenario, ...figures }) =>
        `| ${scenario} | ${Object.entries(figures)
          .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
          .join(', ')} |`,
    ),
].join('\n');
console.log(`\n${markdown}`);
writeResults('faults', { profile: 'long', vitestExit: run.status, scenarios: rows }, markdown);
process.exit(run.status ?? 1);
