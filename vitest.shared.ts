import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
/** TypeScript 7's tsc (the `typescript-7` alias; `typescript` itself stays 5.9 for the tools that need its JS API). */
export const typescript7 = `${root}node_modules/typescript-7/bin/tsc`;
const tsconfig = JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

/**
 * The workspace packages' entry points (`@mlops/feast`, `@mlops/feast/codec`, ...), resolved to their sources
 * so tests never need a build first: the same map as tsconfig.json's paths. Each specifier matches exactly,
 * so `@mlops/core/sdk` never falls into `@mlops/core`'s alias (vite matches a plain key as a prefix too).
 */
export const workspaceAliases: Array<{ find: RegExp; replacement: string }> = Object.entries(
  tsconfig.compilerOptions.paths,
).map(([specifier, [target]]) => ({
  find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
  replacement: `${root}${(target ?? '').replace(/^\.\//, '')}`,
}));

/**
 * Gives each package's src/version.ts the constants tsup injects at build time, from that package's own
 * package.json: a test of @mlops/feast that loads @mlops/core's sources sees core's name, not feast's.
 */
export function packageVersions(): { name: string; transform(code: string, id: string): string | null } {
  return {
    name: 'mlops-package-versions',
    transform(code, id) {
      const match = /packages\/([^/]+)\/src\/version\.ts$/.exec(id.replaceAll('\\', '/'));
      if (!match) return null;
      const pkg = JSON.parse(readFileSync(`${root}packages/${match[1]}/package.json`, 'utf8')) as {
        name: string;
        version: string;
      };
      return code
        .replaceAll('__MLOPS_PACKAGE_NAME__', JSON.stringify(pkg.name))
        .replaceAll('__MLOPS_PACKAGE_VERSION__', JSON.stringify(pkg.version));
    },
  };
}

/**
 * The vitest project of one package: its unit, behaviour and interop tests (`test/**\/*.test.ts`) and its
 * type tests (`test/**\/*.test-d.ts`), which TypeScript 7's tsc checks against the workspace tsconfig.
 */
export function packageProject(name: string, options: { globalSetup?: string[] } = {}) {
  return defineProject({
    plugins: [packageVersions()],
    resolve: { alias: workspaceAliases },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      ...(options.globalSetup ? { globalSetup: options.globalSetup } : {}),
      typecheck: {
        enabled: true,
        include: ['test/**/*.test-d.ts'],
        tsconfig: '../../tsconfig.json',
        checker: typescript7,
      },
    },
  });
}
