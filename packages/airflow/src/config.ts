import { type ConfigOptions, configField, REDACTED, resolveConfig } from '@mlops/core/sdk';
import { PACKAGE_NAME } from './version';

/**
 * The settings of an Airflow 3 API client. airflowctl, Airflow's own CLI over this API, reads one
 * environment variable, `AIRFLOW_CLI_TOKEN`, and we read it too; it has no variable for the URL or a
 * username and password, so those are ours: `AIRFLOW_API_URL`, `AIRFLOW_USERNAME`, `AIRFLOW_PASSWORD`
 * (and `AIRFLOW_TOKEN` next to `AIRFLOW_CLI_TOKEN`). The defaults are the local platform's: its API
 * server and its test user.
 */
export const airflowConfigSpec = {
  baseUrl: configField.url({ env: ['AIRFLOW_API_URL'], default: 'http://127.0.0.1:8080' }),
  /** A JWT used as it is (no renewal). When set, username and password are not used. */
  token: configField.secret({ env: ['AIRFLOW_CLI_TOKEN', 'AIRFLOW_TOKEN'] }),
  /** With password: the client gets a JWT from POST /auth/token, caches it, renews it before it expires. */
  username: configField.string({ env: ['AIRFLOW_USERNAME'], default: 'admin' }),
  password: configField.secret({ env: ['AIRFLOW_PASSWORD'], default: 'admin' }),
  maxRetries: configField.count({ env: ['AIRFLOW_MAX_RETRIES'], default: 2 }),
  /** Deadline of one HTTP attempt, in ms. */
  attemptTimeoutMs: configField.positiveNumber({ env: ['AIRFLOW_TIMEOUT_MS'], default: 60_000 }),
};

export type AirflowOptions = ConfigOptions<typeof airflowConfigSpec>;

/** How the client authenticates: a static JWT, or a username and password exchanged for JWTs. */
export type AirflowCredentials =
  | { readonly type: 'token'; readonly token: string }
  | { readonly type: 'password'; readonly username: string; readonly password: string };

export interface AirflowConfig {
  readonly baseUrl: string;
  readonly credentials: AirflowCredentials;
  readonly maxRetries: number;
  readonly attemptTimeoutMs: number;
}

/** Option → environment variable → default. A token wins over username and password. */
export function resolveAirflowConfig(options: AirflowOptions = {}): AirflowConfig {
  const c = resolveConfig(airflowConfigSpec, options, { service: PACKAGE_NAME });
  const credentials: AirflowCredentials =
    c.token !== undefined
      ? { type: 'token', token: c.token }
      : { type: 'password', username: c.username ?? 'admin', password: c.password ?? 'admin' };
  // Printing the config (JSON, console.log, util.inspect) never shows the token or the password.
  const shown = () => ({
    baseUrl: c.baseUrl,
    credentials:
      credentials.type === 'token'
        ? { type: 'token', token: REDACTED }
        : { type: 'password', username: credentials.username, password: REDACTED },
    maxRetries: c.maxRetries,
    attemptTimeoutMs: c.attemptTimeoutMs,
  });
  const config: AirflowConfig = {
    baseUrl: c.baseUrl,
    credentials,
    maxRetries: c.maxRetries,
    attemptTimeoutMs: c.attemptTimeoutMs,
  };
  Object.defineProperty(config, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(config, Symbol.for('nodejs.util.inspect.custom'), {
    value: shown,
    enumerable: false,
  });
  return config;
}
