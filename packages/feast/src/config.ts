import { type ConfigOptions, configField, resolveConfig } from '@mlops/core';
import { PACKAGE_NAME } from './version';

/** The HTTP endpoints of a Feast deployment: the feature server and the registry server's REST API. */
export const feastConfigSpec = {
  featureServerUrl: configField.url({ env: ['FEAST_FEATURE_SERVER_URL'], default: 'http://127.0.0.1:6566' }),
  registryServerUrl: configField.url({
    env: ['FEAST_REGISTRY_SERVER_URL'],
    default: 'http://127.0.0.1:6572',
  }),
  /** A Feast repo folder holding feature_store.yaml, as `feast -c` takes it. */
  repoPath: configField.string({ env: ['FEAST_REPO_PATH'] }),
  maxRetries: configField.count({ env: ['FEAST_HTTP_MAX_RETRIES'], default: 2 }),
  attemptTimeoutMs: configField.positiveNumber({ env: ['FEAST_HTTP_TIMEOUT_MS'], default: 30_000 }),
};

export type FeastOptions = ConfigOptions<typeof feastConfigSpec>;
export type FeastConfig = ReturnType<typeof resolveFeastConfig>;

/** Option → environment variable → default. */
export function resolveFeastConfig(options: FeastOptions = {}) {
  return resolveConfig(feastConfigSpec, options, { service: PACKAGE_NAME });
}
