import { defineProject } from 'vitest/config';
import { packageVersions, workspaceAliases } from '../vitest.shared';

// Fuzz and hostile-input tests of the whole family (README of this folder). FUZZ_RUNS cases per decoder:
// 10^4 in the test command, 10^6 through `pnpm fuzz`. No platform component is needed.
const runs = Number(process.env.FUZZ_RUNS || 10_000);
const untilText = process.env.FUZZ_UNTIL;
const until = untilText
  ? Number.isNaN(Number(untilText))
    ? Date.parse(untilText)
    : Number(untilText)
  : undefined;

export default defineProject({
  plugins: [packageVersions()],
  resolve: { alias: workspaceAliases },
  test: {
    name: 'fuzz',
    include: ['*.test.ts'],
    // About 1 ms a case on a loaded machine, with room: a whole-test deadline that grows with FUZZ_RUNS; with
    // FUZZ_UNTIL (every property stops by then), no earlier than a minute after it.
    testTimeout: Math.max(120_000, runs * 2, until === undefined ? 0 : until - Date.now() + 60_000),
  },
});
