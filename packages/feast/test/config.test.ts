import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveFeastConfig } from '../src/index';

afterEach(() => vi.unstubAllEnvs());

describe('Feast config', () => {
  it('defaults to the local feature server and registry server', () => {
    vi.stubEnv('FEAST_FEATURE_SERVER_URL', '');
    vi.stubEnv('FEAST_REGISTRY_SERVER_URL', '');
    expect(resolveFeastConfig()).toMatchObject({
      featureServerUrl: 'http://127.0.0.1:6566',
      registryServerUrl: 'http://127.0.0.1:6572',
    });
  });

  it('reads FEAST_FEATURE_SERVER_URL and rejects what is not a URL', () => {
    vi.stubEnv('FEAST_FEATURE_SERVER_URL', 'http://feast.internal:6566/');
    expect(resolveFeastConfig().featureServerUrl).toBe('http://feast.internal:6566');
    vi.stubEnv('FEAST_FEATURE_SERVER_URL', '6566');
    expect(() => resolveFeastConfig()).toThrow(
      /FEAST_FEATURE_SERVER_URL \("6566"\) is not valid for "featureServerUrl"/,
    );
  });
});
