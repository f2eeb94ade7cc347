import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The workspace packages, resolved to their sources so tests never need a build first. */
export const workspaceAliases: Record<string, string> = Object.fromEntries(
  ['core', 'feast', 'mlflow', 'airflow', 'metrics', 'platform'].map((name) => [
    `@mlops/${name}`,
    `${root}packages/${name}/src/index.ts`,
  ]),
);

/** The same compile-time constants tsup injects into the built packages. */
export function packageDefines(packageDir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8')) as {
    name: string;
    version: string;
  };
  return {
    __MLOPS_PACKAGE_NAME__: JSON.stringify(pkg.name),
    __MLOPS_PACKAGE_VERSION__: JSON.stringify(pkg.version),
  };
}
