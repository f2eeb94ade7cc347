import { defineProject } from 'vitest/config';

// Checks the BUILT packages (packages/*/dist, made by `pnpm build`), packed exactly as `pnpm publish`
// would pack them: publint, attw, and import/require smoke tests on Node 22 and 24, Deno 2 and Bun 1.
export default defineProject({
  test: {
    name: 'packaging',
    include: ['*.test.ts'],
    // Each file packs the six packages once and then spawns runtimes and tools: slow by unit-test standards.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
