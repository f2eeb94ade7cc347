import { defineProject } from 'vitest/config';
import { packageVersions, workspaceAliases } from '../../vitest.shared';

export default defineProject({
  plugins: [packageVersions()],
  resolve: { alias: workspaceAliases },
  test: {
    name: 'platform',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: '../../tsconfig.json' },
  },
});
