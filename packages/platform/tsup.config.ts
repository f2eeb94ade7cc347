import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

// `index` is the package root; `cli` is the `mlops` bin (package.json "bin"), not an export.
export default defineConfig(
  packageBuild(import.meta.dirname, { index: 'src/index.ts', cli: 'src/cli/index.ts' }),
);
