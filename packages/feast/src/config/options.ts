import {
  type ConfigOptions,
  type ConfigValues,
  configField,
  type EnvSource,
  resolveConfig,
} from '@mlops/core/sdk';
import { PACKAGE_NAME } from '../version';

/**
 * The settings of a FeatureStore that can come from the environment: each is the option given, else its
 * environment variable, else the default (core's resolveConfig), resolved once in the constructor.
 */
export const feastConfigSpec = {
  /** The feature server, for online: 'http', push and the server's materialization. */
  featureServerUrl: configField.url({ env: ['FEAST_FEATURE_SERVER_URL'], default: 'http://127.0.0.1:6566' }),
  /** A Feast repo folder: its feature_store.yaml is read as `feast -c <repoPath>` reads it. */
  repoPath: configField.string({ env: ['FEAST_REPO_PATH'] }),
  /** Retries of an idempotent feature server call after its first attempt. */
  maxRetries: configField.count({ env: ['FEAST_HTTP_MAX_RETRIES'], default: 2 }),
  /** Deadline of one attempt of a feature server call, in milliseconds. */
  attemptTimeoutMs: configField.positiveNumber({ env: ['FEAST_HTTP_TIMEOUT_MS'], default: 30_000 }),
  /**
   * Deadline of a whole online read (getOnlineFeatures), in milliseconds: past it the call rejects with a
   * TimeoutError, whatever Redis or the feature server is doing. A per-call `timeoutMs` overrides it.
   */
  onlineTimeoutMs: configField.positiveNumber({ env: ['FEAST_ONLINE_TIMEOUT_MS'], default: 5_000 }),
};

/** The options of feastConfigSpec, as FeatureStoreOptions carries them. */
export type FeastConfigOptions = ConfigOptions<typeof feastConfigSpec>;
/** The settings of feastConfigSpec once resolved. */
export type FeastConfig = ConfigValues<typeof feastConfigSpec>;

/** Option → environment variable → default; a bad value is a ConfigError naming the option and the variable. */
export function resolveFeastConfig(options: FeastConfigOptions = {}, env?: EnvSource): FeastConfig {
  return resolveConfig(feastConfigSpec, options, { service: PACKAGE_NAME, ...(env ? { env } : {}) });
}
