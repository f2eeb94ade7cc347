import { ConfigError } from '@mlops/core';
import type { EnvSource } from '@mlops/core/sdk';
import { expandVars, quickRepoConfig, type RepoConfig } from './repo-config';

/**
 * Reads `<repoPath>/feature_store.yaml` (or `fsYamlFile`), as `feast -c <repoPath> [-f <file>]` does.
 */
export async function loadRepoConfig(
  repoPath: string,
  options: { fsYamlFile?: string; env?: EnvSource } = {},
): Promise<RepoConfig> {
  const { readFile } = await import('node:fs/promises');
  const { join, resolve } = await import('node:path');
  const file = options.fsYamlFile
    ? resolve(options.fsYamlFile)
    : join(resolve(repoPath), 'feature_store.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `Cannot read the Feast repo config ${file} (${(cause as Error).message}). Pass repoPath: the folder that holds feature_store.yaml.`,
      { option: 'repoPath' },
    );
  }
  let raw: unknown;
  const { parse: parseYaml } = await import('yaml');
  try {
    raw = parseYaml(expandVars(text, options.env));
  } catch (cause) {
    throw new ConfigError(`${file} is not valid YAML: ${(cause as Error).message}`, { option: 'repoPath' });
  }
  // The usual config without zod; anything else through the zod schemas, which word the error.
  const quick = quickRepoConfig(raw, resolve(repoPath));
  if (quick) return quick;
  const { parseRepoConfig } = await import('./repo-config-schema');
  return parseRepoConfig(raw, { repoPath: resolve(repoPath), source: file });
}
