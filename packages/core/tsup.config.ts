import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-preset';

// One entry per `exports` subpath of package.json.
export default defineConfig(packageBuild(import.meta.dirname, { index: 'src/index.ts', sdk: 'src/sdk.ts' }));
