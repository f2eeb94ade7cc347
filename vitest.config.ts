import { defineConfig } from 'vitest/config';

// One vitest project per package, plus the packaging project that checks the built artefacts. The gate runs
// them in more workers than the machine has cores (scripts/gate.mjs, --maxWorkers).
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'tests/packaging',
      'tests/integration',
      'tests/faults',
      'examples',
      'fuzz',
    ],
  },
});
