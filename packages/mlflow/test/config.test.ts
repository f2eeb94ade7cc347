import { ConfigError } from '@mlops/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveMlflowConfig } from '../src/index';

afterEach(() => vi.unstubAllEnvs());

describe('MLflow config', () => {
  it('reads the environment variables MLflow itself reads', () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', 'http://mlflow.internal:5000/');
    vi.stubEnv('MLFLOW_TRACKING_TOKEN', 'tok');
    vi.stubEnv('MLFLOW_HTTP_REQUEST_TIMEOUT', '7');
    vi.stubEnv('MLFLOW_HTTP_REQUEST_MAX_RETRIES', '4');
    expect(resolveMlflowConfig()).toEqual({
      trackingUri: 'http://mlflow.internal:5000',
      auth: { type: 'bearer', token: 'tok' },
      maxRetries: 4,
      attemptTimeoutMs: 7000,
    });
  });

  it('prefers basic credentials over a token, as MLflow does, and options over the environment', () => {
    vi.stubEnv('MLFLOW_TRACKING_TOKEN', 'tok');
    vi.stubEnv('MLFLOW_TRACKING_USERNAME', 'admin');
    vi.stubEnv('MLFLOW_TRACKING_PASSWORD', 'pw12');
    expect(resolveMlflowConfig().auth).toEqual({ type: 'basic', username: 'admin', password: 'pw12' });
    expect(resolveMlflowConfig({ trackingUri: 'https://x.test' }).trackingUri).toBe('https://x.test');
  });

  it('defaults to the local platform', () => {
    for (const name of [
      'MLFLOW_TRACKING_URI',
      'MLFLOW_TRACKING_TOKEN',
      'MLFLOW_TRACKING_USERNAME',
      'MLFLOW_TRACKING_PASSWORD',
    ]) {
      vi.stubEnv(name, '');
    }
    expect(resolveMlflowConfig()).toMatchObject({ trackingUri: 'http://127.0.0.1:5000', auth: undefined });
  });

  it('names MLFLOW_TRACKING_URI when it is not a URL', () => {
    vi.stubEnv('MLFLOW_TRACKING_URI', 'file:///tmp/mlruns');
    expect(() => resolveMlflowConfig()).toThrow(ConfigError);
    expect(() => resolveMlflowConfig()).toThrow(
      /@mlops\/mlflow: the environment variable MLFLOW_TRACKING_URI \("file:\/\/\/tmp\/mlruns"\)/,
    );
  });
});
