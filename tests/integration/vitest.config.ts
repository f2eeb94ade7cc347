import { defineProject } from 'vitest/config';
import { packageVersions, workspaceAliases } from '../../vitest.shared';

// Talks to the real platform (platform/bin/platform up). A component that is not running makes its
// tests fail with the command that starts it; nothing here skips.
export default defineProject({
  plugins: [packageVersions()],
  resolve: { alias: workspaceAliases },
  test: {
    name: 'integration',
    include: ['*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
