import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = ['core', 'feast', 'mlflow', 'airflow', 'metrics', 'platform'];

/** The workspace packages, resolved to their sources so tests never need a build first. */
export const workspaceAliases: Record<string, string> = Object.fromEntries(
  packages.map((name) => [`@mlops/${name}`, `${root}packages/${name}/src/index.ts`]),
);

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
