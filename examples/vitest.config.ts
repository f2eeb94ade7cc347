import { defineProject } from 'vitest/config';
import { packageVersions, workspaceAliases } from '../vitest.shared';

// Every example runs, against the real platform, as a test.
export default defineProject({
  plugins: [packageVersions()],
  resolve: { alias: workspaceAliases },
  test: { name: 'examples', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
