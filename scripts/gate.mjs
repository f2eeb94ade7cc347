#!/usr/bin/env node
// The quality gate: every check, in order, stopping at the first that fails; then the tests.
// The last line printed is the test runner's own count, "N passed, N failed[, N skipped]".
// Usage: node scripts/gate.mjs [--skip-static]   (--skip-static: only build and test)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const reportFile = `${root}.vitest-report.json`;
// The workspace's own tools first: biome, tsc and vitest from node_modules/.bin.
process.env.PATH = `${root}node_modules/.bin:${process.env.PATH}`;

/** @type {Array<[string, string, string[]]>} */
const steps = [
  ['lint and format', 'biome', ['check', '.']],
  ['generated code is up to date', 'node', ['scripts/codegen.mjs', '--check']],
  ['protobuf code is up to date', 'node', ['scripts/protogen.mjs', '--check']],
  ['one version of each dependency', 'node', ['scripts/check-deps.mjs']],
  ['GitHub workflows (actionlint)', 'bash', ['scripts/actionlint.sh']],
  // TypeScript 7's native tsc; `typescript` itself stays 5.9 for the tools that need its JS API (README, Toolchain).
  [
    'typecheck (strict, whole workspace)',
    'node',
    ['node_modules/typescript-7/bin/tsc', '-p', 'tsconfig.json', '--noEmit'],
  ],
  [
    'architecture rules (dependency-cruiser)',
    'depcruise',
    ['packages', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
  ],
  ['public API report is up to date', 'node', ['scripts/api-report.mjs', '--check']],
  ['build (tsup: ESM + CJS + d.ts)', 'pnpm', ['run', 'build']],
];
const staticSteps = new Set([
  'lint and format',
  'generated code is up to date',
  'protobuf code is up to date',
  'one version of each dependency',
  'GitHub workflows (actionlint)',
  'architecture rules (dependency-cruiser)',
  'public API report is up to date',
  'typecheck (strict, whole workspace)',
]);

function run(label, cmd, cmdArgs) {
  const started = performance.now();
  process.stdout.write(`\n== ${label}: ${cmd} ${cmdArgs.join(' ')}\n`);
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: false });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.error) {
    process.stdout.write(`!! ${label}: could not start ${cmd}: ${result.error.message}\n`);
    return false;
  }
  process.stdout.write(
    `== ${label}: ${result.status === 0 ? 'ok' : `FAILED (exit ${result.status})`} in ${seconds}s\n`,
  );
  return result.status === 0;
}

for (const [label, cmd, cmdArgs] of steps) {
  if (args.has('--skip-static') && staticSteps.has(label)) continue;
  if (!run(label, cmd, cmdArgs)) {
    process.stdout.write(`\nThe gate stopped at "${label}"; fix it and run the test command again.\n`);
    process.exit(1);
  }
}

// Most test time is spent waiting on other processes (Feast Python, PostgreSQL, Redis, the packed runtimes),
// not on our own CPU, so test files run in more workers than the 2 cores of our machines; files that write the
// shared stores keep to their own keys, projects and tables. (vitest reads this from the command line only:
// a maxWorkers in the root config does not reach the projects' pool.)
// The fault scenarios (tests/faults) run afterwards, alone: they judge calls against their deadlines, which a
// machine busy with 3 other test files would blur.
const workers = process.env.MLOPS_TEST_WORKERS ?? '3';
const runs = [
  ['tests (vitest: unit, behaviour, types, packaging)', ['--project=!faults', `--maxWorkers=${workers}`]],
  ['fault scenarios (vitest project faults, alone)', ['--project=faults', '--maxWorkers=1']],
];
let testsOk = true;
let passed = 0;
let skipped = 0;
let failed = 0;
for (const [label, runArgs] of runs) {
  rmSync(reportFile, { force: true });
  testsOk =
    run(label, 'vitest', [
      'run',
      ...runArgs,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportFile}`,
    ]) && testsOk;
  if (!existsSync(reportFile)) {
    process.stdout.write(`\nvitest wrote no report: the test run "${label}" did not complete.\n`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  passed += report.numPassedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A test file that fails to load has no failed test in it, but it is a failure all the same.
  const failedFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  failed += (report.numFailedTests ?? 0) + failedFiles;
  if (failedFiles > 0) process.stdout.write(`\n${failedFiles} test file(s) failed to load; see above.\n`);
}
const ok = testsOk && failed === 0 && passed > 0;
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(ok ? 0 : 1);
