import { defineProject } from 'vitest/config';
import { packageVersions, workspaceAliases } from '../../vitest.shared';

// Faults injected into real components: each test starts its own private servers (a Redis, a Pushgateway, ...)
// and puts Toxiproxy (platform component `toxiproxy`) in front of them, so killing, pausing or cutting them
// never disturbs the shared platform other tests use. The short forms of the scenarios run here; the long forms
// with their numbers are in bench/faults-*.mjs. Files run one at a time: their timings must not compete.
export default defineProject({
  plugins: [packageVersions()],
  resolve: { alias: workspaceAliases },
  test: {
    name: 'faults',
    include: ['*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
