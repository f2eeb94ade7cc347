import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from 'tsup';

/**
 * The one build recipe of every @mlops package: ESM and CJS, each with its own declarations
 * (.d.ts / .d.cts), the package name and version injected for the User-Agent. `entry` has one entry per
 * subpath of the package.json `exports` (`{ index: 'src/index.ts', codec: 'src/codec/index.ts' }` builds
 * dist/index.* and dist/codec.*). Both formats split the code the entries share into chunks, so each module
 * (and each error class) exists once per format, whichever entry point loaded it.
 */
export function packageBuild(
  packageDir: string,
  entry: Record<string, string> = { index: 'src/index.ts' },
): Options {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    treeshake: true,
    splitting: true,
    // Keep class names: errors are named after their class, and esbuild renames self-referencing classes.
    keepNames: true,
    target: 'es2022',
    platform: 'neutral',
    tsconfig: join(packageDir, 'tsconfig.json'),
    define: {
      __MLOPS_PACKAGE_NAME__: JSON.stringify(pkg.name),
      __MLOPS_PACKAGE_VERSION__: JSON.stringify(pkg.version),
    },
  };
}
