import { defineConfig } from 'vitest/config';

// One vitest project per package, plus the packaging project that checks the built artefacts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'tests/packaging', 'tests/integration', 'examples'],
  },
});
