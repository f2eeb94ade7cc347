// The public types of the Trino offline store, as a user's editor sees them.
import { describe, expectTypeOf, it } from 'vitest';
import {
  FeatureStore,
  type OfflineStoreError,
  type RepoConfig,
  type TrinoConnectionOptions,
  type TrinoOfflineStoreConfig,
  TrinoQueryError,
} from '../../../src/index';

describe('Trino offline store', () => {
  it('takes its session options next to the repo', () => {
    const options: TrinoConnectionOptions = {
      sessionProperties: { query_max_execution_time: '30m' },
      timeZone: 'UTC',
      uploadConcurrency: 2,
    };
    void new FeatureStore({ repoPath: 'feature_repo', trino: options });
    // @ts-expect-error session property values are strings
    void new FeatureStore({ repoPath: 'feature_repo', trino: { sessionProperties: { a: 1 } } });
  });

  it('reads a Trino config from the repo config, programmatically too', () => {
    const trino: TrinoOfflineStoreConfig = {
      type: 'trino',
      host: 'trino',
      port: 8080,
      catalog: 'memory',
      user: 'feast',
      source: 'trino-python-client',
      httpScheme: 'http',
      verify: true,
      extraCredential: undefined,
      connector: { type: 'memory' },
      dataset: 'feast',
      auth: undefined,
    };
    expectTypeOf(trino).toMatchTypeOf<NonNullable<RepoConfig['offlineStore']>>();
  });

  it('fails with a TrinoQueryError: an OfflineStoreError with Trino error name and query id', () => {
    const error: unknown = undefined;
    if (TrinoQueryError.isInstance(error)) {
      expectTypeOf(error.errorName).toEqualTypeOf<string>();
      expectTypeOf(error.queryId).toEqualTypeOf<string | undefined>();
      expectTypeOf(error).toMatchTypeOf<OfflineStoreError>();
    }
  });
});
