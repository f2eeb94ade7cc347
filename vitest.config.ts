import { defineConfig } from 'vitest/config';

// One vitest project per package, plus the packaging project that checks the built artefacts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'tests/packaging', 'tests/integration', 'examples'],
    // Most test time is spent waiting on other processes (Feast Python, PostgreSQL, Redis, packed runtimes),
    // not on our own CPU, so files run in more workers than the 2 cores of our machines. Files that write the
    // shared stores keep to their own keys, projects or tables (see packages/feast/test/support).
    maxWorkers: Number(process.env.MLOPS_TEST_WORKERS ?? 3),
  },
});
