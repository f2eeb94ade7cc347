// A script that imports this package's sources, bundled with esbuild into a plain .mjs that Node runs as a child
// process (no build of the package needed): for tests of what a whole process does — exit without close(),
// `await using`. The workspace's own packages come from source (tsconfig paths); third-party packages stay
// imports, resolved from packages/feast as an installed @mlops/feast would resolve them.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');
const feastDir = resolve(import.meta.dirname, '../..');
// esbuild is tsup's (a root devDependency); taken from there.
const fromTsup = createRequire(createRequire(join(root, 'package.json')).resolve('tsup'));

/** The part of esbuild's API used here (esbuild is not a dependency of this package, so its types are not either). */
interface Esbuild {
  build(options: Record<string, unknown> & { plugins: EsbuildPlugin[] }): Promise<unknown>;
}
interface EsbuildPlugin {
  name: string;
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: { path: string }) => { path: string; external: boolean } | undefined,
    ): void;
  }): void;
}

/** Bundles `source` (TypeScript, may import '../../src/...' relative to `sourceDir` or '@mlops/feast'); returns the .mjs path. */
export async function bundleScript(name: string, source: string, sourceDir: string): Promise<string> {
  const esbuild = fromTsup('esbuild') as Esbuild;
  const outDir = join(feastDir, 'node_modules/.cache/mlops-test-bundles');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await esbuild.build({
    stdin: { contents: source, resolveDir: sourceDir, loader: 'ts', sourcefile: `${name}.ts` },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile,
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'silent',
    // What tsup injects at build time (src/version.ts).
    define: { __MLOPS_PACKAGE_NAME__: '"@mlops/feast"', __MLOPS_PACKAGE_VERSION__: '"0.0.0-test"' },
    plugins: [
      {
        name: 'installed-packages-external',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('@mlops/') || args.path.startsWith('node:')) return undefined;
            // A dependency of @mlops/feast stays an import; one of @mlops/core is bundled in.
            const name = args.path
              .split('/')
              .slice(0, args.path.startsWith('@') ? 2 : 1)
              .join('/');
            return existsSync(join(feastDir, 'node_modules', name))
              ? { path: args.path, external: true }
              : undefined;
          });
        },
      },
    ],
  });
  return outfile;
}
