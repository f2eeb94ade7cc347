import { inspect } from 'node:util';
import { ConfigError } from '@mlops/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveAirflowConfig } from '../src/index';

const NAMES = [
  'AIRFLOW_API_URL',
  'AIRFLOW_CLI_TOKEN',
  'AIRFLOW_TOKEN',
  'AIRFLOW_USERNAME',
  'AIRFLOW_PASSWORD',
  'AIRFLOW_MAX_RETRIES',
  'AIRFLOW_TIMEOUT_MS',
];
afterEach(() => vi.unstubAllEnvs());
const clearEnv = () => {
  for (const name of NAMES) vi.stubEnv(name, '');
};

describe('Airflow config', () => {
  it("defaults to the local platform's API server and test user", () => {
    clearEnv();
    expect(resolveAirflowConfig()).toEqual({
      baseUrl: 'http://127.0.0.1:8080',
      credentials: { type: 'password', username: 'admin', password: 'admin' },
      maxRetries: 2,
      attemptTimeoutMs: 60_000,
    });
  });

  it('reads AIRFLOW_API_URL, AIRFLOW_USERNAME and AIRFLOW_PASSWORD; options win over them', () => {
    clearEnv();
    vi.stubEnv('AIRFLOW_API_URL', 'http://airflow.internal:8080/');
    vi.stubEnv('AIRFLOW_USERNAME', 'ci');
    vi.stubEnv('AIRFLOW_PASSWORD', 'pw-from-env');
    expect(resolveAirflowConfig()).toMatchObject({
      baseUrl: 'http://airflow.internal:8080',
      credentials: { type: 'password', username: 'ci', password: 'pw-from-env' },
    });
    expect(resolveAirflowConfig({ baseUrl: 'https://other.test', username: 'me' })).toMatchObject({
      baseUrl: 'https://other.test',
      credentials: { username: 'me' },
    });
  });

  it("reads airflowctl's AIRFLOW_CLI_TOKEN first, then AIRFLOW_TOKEN; a token wins over a password", () => {
    clearEnv();
    vi.stubEnv('AIRFLOW_TOKEN', 'from-airflow-token');
    vi.stubEnv('AIRFLOW_PASSWORD', 'pw');
    expect(resolveAirflowConfig().credentials).toEqual({ type: 'token', token: 'from-airflow-token' });
    vi.stubEnv('AIRFLOW_CLI_TOKEN', 'from-cli-token');
    expect(resolveAirflowConfig().credentials).toEqual({ type: 'token', token: 'from-cli-token' });
    expect(resolveAirflowConfig({ token: 'option' }).credentials).toEqual({ type: 'token', token: 'option' });
  });

  it('never prints the token or the password', () => {
    clearEnv();
    const withPassword = resolveAirflowConfig({ password: 'pw-secret-1' });
    const withToken = resolveAirflowConfig({ token: 'tok-secret-2' });
    const printed = [
      JSON.stringify(withPassword),
      inspect(withPassword),
      JSON.stringify(withToken),
      inspect(withToken),
    ].join(' ');
    expect(printed).not.toContain('pw-secret-1');
    expect(printed).not.toContain('tok-secret-2');
    expect(JSON.parse(JSON.stringify(withToken))).toEqual({
      baseUrl: 'http://127.0.0.1:8080',
      credentials: { type: 'token', token: '[REDACTED]' },
      maxRetries: 2,
      attemptTimeoutMs: 60_000,
    });
  });

  it('names the variable holding a bad value', () => {
    clearEnv();
    vi.stubEnv('AIRFLOW_TIMEOUT_MS', 'soon');
    let error: unknown;
    try {
      resolveAirflowConfig();
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).envVar).toBe('AIRFLOW_TIMEOUT_MS');
    expect((error as ConfigError).option).toBe('attemptTimeoutMs');
    vi.stubEnv('AIRFLOW_TIMEOUT_MS', '');
    vi.stubEnv('AIRFLOW_API_URL', 'ftp://airflow');
    expect(() => resolveAirflowConfig()).toThrow(/AIRFLOW_API_URL/);
  });
});
