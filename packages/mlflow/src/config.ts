import type { AuthOption } from '@mlops/core';
import { type ConfigOptions, configField, resolveConfig } from '@mlops/core/sdk';
import { PACKAGE_NAME } from './version';

/**
 * The settings of an MLflow client and the environment variables MLflow's own Python client reads for
 * them, so an environment that works for `MlflowClient` works here too.
 */
export const mlflowConfigSpec = {
  trackingUri: configField.url({ env: ['MLFLOW_TRACKING_URI'], default: 'http://127.0.0.1:5000' }),
  token: configField.secret({ env: ['MLFLOW_TRACKING_TOKEN'] }),
  username: configField.string({ env: ['MLFLOW_TRACKING_USERNAME'] }),
  password: configField.secret({ env: ['MLFLOW_TRACKING_PASSWORD'] }),
  maxRetries: configField.count({ env: ['MLFLOW_HTTP_REQUEST_MAX_RETRIES'], default: 2 }),
  /** Per-attempt deadline in ms. MLflow's MLFLOW_HTTP_REQUEST_TIMEOUT is in seconds; it is read as such. */
  attemptTimeoutMs: configField.positiveNumber({
    env: ['MLFLOW_HTTP_REQUEST_TIMEOUT'],
    fromEnv: (seconds) => Number(seconds) * 1000,
    default: 120_000,
  }),
};

export type MlflowOptions = ConfigOptions<typeof mlflowConfigSpec>;

export interface MlflowConfig {
  trackingUri: string;
  auth: AuthOption | undefined;
  maxRetries: number;
  attemptTimeoutMs: number;
}

/** Option → MLflow's environment variable → default. Basic credentials win over a token, as in MLflow. */
export function resolveMlflowConfig(options: MlflowOptions = {}): MlflowConfig {
  const c = resolveConfig(mlflowConfigSpec, options, { service: PACKAGE_NAME });
  const auth: AuthOption | undefined =
    c.username && c.password
      ? { type: 'basic', username: c.username, password: c.password }
      : c.token
        ? { type: 'bearer', token: c.token }
        : undefined;
  return { trackingUri: c.trackingUri, auth, maxRetries: c.maxRetries, attemptTimeoutMs: c.attemptTimeoutMs };
}
