import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, ConfigError, TimeoutError } from '@mlops/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FeatureStore } from '../../src/index';
import { resolveFeastConfig } from '../../src/registry/index';

afterEach(() => vi.unstubAllEnvs());

function repoWith(project: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'feast-options-'));
  writeFileSync(
    join(dir, 'feature_store.yaml'),
    [
      `project: ${project}`,
      'registry: data/registry.db',
      'provider: local',
      'online_store:',
      '  type: redis',
      '  connection_string: 127.0.0.1:6379',
      'entity_key_serialization_version: 3',
      '',
    ].join('\n'),
  );
  return dir;
}

/** A fetch that counts its calls and answers each with `answer`. */
function countingFetch(answer: (request: Request) => Promise<Response>) {
  const calls: string[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push(request.url);
    return answer(request);
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const UNAVAILABLE = () =>
  Promise.resolve(new Response('busy', { status: 503, headers: { 'retry-after': '0' } }));

describe('Feast config', () => {
  it('defaults to the local feature server, two retries and 30 s attempts', () => {
    vi.stubEnv('FEAST_FEATURE_SERVER_URL', undefined);
    vi.stubEnv('FEAST_REPO_PATH', undefined);
    vi.stubEnv('FEAST_HTTP_MAX_RETRIES', undefined);
    vi.stubEnv('FEAST_HTTP_TIMEOUT_MS', undefined);
    vi.stubEnv('FEAST_ONLINE_TIMEOUT_MS', undefined);
    expect(resolveFeastConfig()).toEqual({
      featureServerUrl: 'http://127.0.0.1:6566',
      repoPath: undefined,
      maxRetries: 2,
      attemptTimeoutMs: 30_000,
      onlineTimeoutMs: 5000,
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

describe('FeatureStore options', () => {
  it('new FeatureStore({}) loads the repo FEAST_REPO_PATH names', async () => {
    vi.stubEnv('FEAST_REPO_PATH', repoWith('from_env'));
    const store = new FeatureStore({});
    expect(await store.project).toBe('from_env');
    await store.close();
  });

  it('an option wins over FEAST_REPO_PATH', async () => {
    vi.stubEnv('FEAST_REPO_PATH', repoWith('from_env'));
    const store = new FeatureStore({ repoPath: repoWith('from_option') });
    expect(await store.project).toBe('from_option');
    await store.close();
  });

  it('without repoPath, FEAST_REPO_PATH or config, names the option and the variable', () => {
    vi.stubEnv('FEAST_REPO_PATH', undefined);
    const error = (() => {
      try {
        new FeatureStore();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option: 'repoPath', envVars: ['FEAST_REPO_PATH'] });
  });

  it.each([
    ['FEAST_HTTP_MAX_RETRIES', 'many', 'maxRetries'],
    ['FEAST_HTTP_TIMEOUT_MS', '-5', 'attemptTimeoutMs'],
    ['FEAST_FEATURE_SERVER_URL', 'feast:6566', 'featureServerUrl'],
    ['FEAST_HTTP_MAX_RETRIES', '1.5', 'maxRetries'],
  ])('a bad %s (%j) is a ConfigError naming %s and the variable', (envVar, value, option) => {
    vi.stubEnv(envVar, value);
    const error = (() => {
      try {
        new FeatureStore({ repoPath: 'repo' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option, envVar, source: 'env' });
    expect(String((error as Error).message)).toContain(envVar);
    expect(String((error as Error).message)).toContain(`"${option}"`);
  });

  it('the feature server client retries a 503 exactly maxRetries times (from the option)', async () => {
    const { calls, fetch } = countingFetch(UNAVAILABLE);
    const store = new FeatureStore({
      repoPath: 'repo',
      featureServerUrl: 'http://feast.test',
      fetch,
      maxRetries: 3,
    });
    const error = await store.featureServer.http.fetch('/health').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503 });
    expect(calls).toEqual(Array(4).fill('http://feast.test/health'));
  });

  it('the feature server client takes its retries from FEAST_HTTP_MAX_RETRIES', async () => {
    vi.stubEnv('FEAST_HTTP_MAX_RETRIES', '0');
    const { calls, fetch } = countingFetch(UNAVAILABLE);
    const store = new FeatureStore({ repoPath: 'repo', featureServerUrl: 'http://feast.test', fetch });
    await expect(store.featureServer.http.fetch('/health')).rejects.toMatchObject({ status: 503 });
    expect(calls).toHaveLength(1);
  });

  it('the feature server client gives up an attempt after attemptTimeoutMs (from FEAST_HTTP_TIMEOUT_MS)', async () => {
    vi.stubEnv('FEAST_HTTP_TIMEOUT_MS', '40');
    const { calls, fetch } = countingFetch(
      (request) =>
        new Promise<Response>((_, reject) => {
          request.signal.addEventListener('abort', () => reject(request.signal.reason));
        }),
    );
    const store = new FeatureStore({
      repoPath: 'repo',
      featureServerUrl: 'http://feast.test',
      fetch,
      maxRetries: 0,
    });
    const error = await store.featureServer.http.fetch('/health').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ scope: 'attempt', timeoutMs: 40 });
    expect(calls).toHaveLength(1);
  });
});
