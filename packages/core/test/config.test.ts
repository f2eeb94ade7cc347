import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/index';
import { configField, envFrom, resolveConfig } from '../src/sdk';

const spec = {
  trackingUri: configField.url({ env: ['MLFLOW_TRACKING_URI'], default: 'http://127.0.0.1:5000' }),
  token: configField.secret({ env: ['MLFLOW_TRACKING_TOKEN'] }),
  timeoutMs: configField.positiveNumber({ env: ['MLFLOW_HTTP_REQUEST_TIMEOUT_MS'], default: 120_000 }),
  maxRetries: configField.count({ env: ['MLFLOW_HTTP_REQUEST_MAX_RETRIES'] }),
  insecure: configField.boolean({ env: ['MLFLOW_TRACKING_INSECURE_TLS'], default: false }),
  mode: configField.oneOf(['redis', 'http'] as const, { env: ['X_MODE', 'Y_MODE'] }),
};
const context = (env: Record<string, string> = {}) => ({ service: '@mlops/mlflow', env: envFrom(env) });

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('resolves option, then environment variable, then default', () => {
    expect(resolveConfig(spec, {}, context())).toEqual({
      trackingUri: 'http://127.0.0.1:5000',
      token: undefined,
      timeoutMs: 120_000,
      maxRetries: undefined,
      insecure: false,
      mode: undefined,
    });
    const env = {
      MLFLOW_TRACKING_URI: 'http://mlflow.internal:5000/',
      MLFLOW_HTTP_REQUEST_TIMEOUT_MS: '3000',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      MLFLOW_TRACKING_INSECURE_TLS: 'yes',
      Y_MODE: 'http',
    };
    expect(resolveConfig(spec, {}, context(env))).toMatchObject({
      trackingUri: 'http://mlflow.internal:5000',
      timeoutMs: 3000,
      maxRetries: 0,
      insecure: true,
      mode: 'http',
    });
    expect(resolveConfig(spec, { trackingUri: 'https://x.test', mode: 'redis' }, context(env))).toMatchObject(
      {
        trackingUri: 'https://x.test',
        mode: 'redis',
      },
    );
  });

  it('names the environment variable and the option when the environment holds a bad value', () => {
    const error = configErrorOf(() =>
      resolveConfig(spec, {}, context({ MLFLOW_TRACKING_URI: 'localhost:5000' })),
    );
    expect(error.option).toBe('trackingUri');
    expect(error.envVar).toBe('MLFLOW_TRACKING_URI');
    expect(error.source).toBe('env');
    expect(error.message).toBe(
      '@mlops/mlflow: the environment variable MLFLOW_TRACKING_URI ("localhost:5000") is not valid for "trackingUri": not an http(s) URL; expected an http(s) URL such as http://127.0.0.1:5000. Fix or unset MLFLOW_TRACKING_URI, or pass the trackingUri option.',
    );
    const count = configErrorOf(() =>
      resolveConfig(spec, {}, context({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: 'three' })),
    );
    expect(count.message).toContain('MLFLOW_HTTP_REQUEST_MAX_RETRIES ("NaN")');
  });

  it('names the option when an option holds a bad value', () => {
    const error = configErrorOf(() => resolveConfig(spec, { timeoutMs: -5 }, context()));
    expect(error.source).toBe('option');
    expect(error.message).toContain(
      'the option "timeoutMs" ("-5") is not valid for "timeoutMs": must be a positive number',
    );
    expect(error.message).toContain('(or set MLFLOW_HTTP_REQUEST_TIMEOUT_MS)');
    expect(() => resolveConfig(spec, { mode: 'grpc' as never }, context())).toThrow(
      /expected one of redis, http/,
    );
  });

  it('never shows the value of a secret in an error', () => {
    const error = configErrorOf(() =>
      resolveConfig({ token: configField.secret({ env: ['T'] }) }, { token: '' }, context()),
    );
    expect(error.message).toBe(
      '@mlops/mlflow: the option "token" is not valid for "token": must not be empty. Pass a valid token option (or set T).',
    );
  });

  it('says how to set a required setting that is missing', () => {
    const required = { baseUrl: configField.url({ env: ['AIRFLOW_API_URL'], required: true }) };
    expect(() => resolveConfig(required, {}, context())).toThrow(
      '@mlops/mlflow: "baseUrl" is required (an http(s) URL such as http://127.0.0.1:5000). Pass the baseUrl option or set AIRFLOW_API_URL.',
    );
  });
});
