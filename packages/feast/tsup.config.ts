import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

// One entry per `exports` subpath of package.json.
export default defineConfig(
  packageBuild(import.meta.dirname, {
    index: 'src/index.ts',
    codec: 'src/codec/index.ts',
    registry: 'src/registry/index.ts',
  }),
);
