import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './workspace';

export type RuntimeId = 'node24' | 'node22' | 'deno' | 'bun';

export interface Runtime {
  id: RuntimeId;
  /** For test names: 'Node 24', 'Deno 2', ... */
  label: string;
  /** The environment variable bootstrap.sh exports with the binary's path. */
  envVar: string;
  /** Where bootstrap.sh installs it, relative to the repository root. */
  toolchainPath: string;
  /** The major version the binary must report. */
  major: number;
}

export const runtimes: Record<RuntimeId, Runtime> = {
  node24: {
    id: 'node24',
    label: 'Node 24',
    envVar: 'MLOPS_NODE24',
    toolchainPath: '.toolchain/node24/node_modules/node/bin/node',
    major: 24,
  },
  node22: {
    id: 'node22',
    label: 'Node 22',
    envVar: 'MLOPS_NODE22',
    toolchainPath: '.toolchain/node22/node_modules/node/bin/node',
    major: 22,
  },
  deno: {
    id: 'deno',
    label: 'Deno 2',
    envVar: 'MLOPS_DENO',
    toolchainPath: '.toolchain/deno/node_modules/.bin/deno',
    major: 2,
  },
  bun: {
    id: 'bun',
    label: 'Bun 1',
    envVar: 'MLOPS_BUN',
    toolchainPath: '.toolchain/bun/node_modules/.bin/bun',
    major: 1,
  },
};

/**
 * The runtime's binary: the path in its MLOPS_* variable, else where bootstrap.sh installs it.
 * Throws, so the test fails, when neither is there: these checks never pass by skipping.
 */
export function runtimeBinary(runtime: Runtime): string {
  const fromEnv = process.env[runtime.envVar];
  const candidate = fromEnv ? fromEnv : join(repoRoot, runtime.toolchainPath);
  try {
    accessSync(candidate, constants.X_OK);
  } catch {
    const where = fromEnv
      ? `${runtime.envVar}=${fromEnv} is not an executable file`
      : `${runtime.envVar} is unset and ${runtime.toolchainPath} does not exist`;
    throw new Error(
      `${runtime.label} is needed for the packaging smoke tests but ${where}: run \`bash scripts/bootstrap.sh\` ` +
        '(or `eval "$(bash scripts/bootstrap.sh --print-env)"` to also export the MLOPS_* variables).',
    );
  }
  return candidate;
}
