import { type ConfigOptions, configField, resolveConfig } from '@mlops/core/sdk';
import { PACKAGE_NAME } from './version';

/**
 * The settings of an Airflow 3 API client. Airflow has no client-side environment convention of its
 * own for the REST API, so these are ours, named after the API they configure.
 */
export const airflowConfigSpec = {
  baseUrl: configField.url({ env: ['AIRFLOW_API_URL'], default: 'http://127.0.0.1:8080' }),
  /** A JWT from POST /auth/token; or give username and password and the client gets one. */
  token: configField.secret({ env: ['AIRFLOW_API_TOKEN'] }),
  username: configField.string({ env: ['AIRFLOW_API_USERNAME'] }),
  password: configField.secret({ env: ['AIRFLOW_API_PASSWORD'] }),
  maxRetries: configField.count({ env: ['AIRFLOW_API_MAX_RETRIES'], default: 2 }),
  attemptTimeoutMs: configField.positiveNumber({ env: ['AIRFLOW_API_TIMEOUT_MS'], default: 60_000 }),
};

export type AirflowOptions = ConfigOptions<typeof airflowConfigSpec>;
export type AirflowConfig = ReturnType<typeof resolveAirflowConfig>;

/** Option → environment variable → default. */
export function resolveAirflowConfig(options: AirflowOptions = {}) {
  return resolveConfig(airflowConfigSpec, options, { service: PACKAGE_NAME });
}
