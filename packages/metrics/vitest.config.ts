import { defineProject } from 'vitest/config';
import { packageDefines, workspaceAliases } from '../../vitest.shared';

export default defineProject({
  define: packageDefines(import.meta.dirname),
  resolve: { alias: workspaceAliases },
  test: {
    name: 'metrics',
    include: ['test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: '../../tsconfig.json' },
  },
});
