import { describe, expectTypeOf, it } from 'vitest';
import type { FeastConfigOptions } from '../../src/config/options';
import type { FeatureStoreOptions } from '../../src/index';

describe('FeatureStoreOptions', () => {
  it("carries the config spec's options, with their types", () => {
    expectTypeOf<Pick<FeatureStoreOptions, keyof FeastConfigOptions>>().toEqualTypeOf<FeastConfigOptions>();
    expectTypeOf<FeatureStoreOptions['maxRetries']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FeatureStoreOptions['repoPath']>().toEqualTypeOf<string | undefined>();
  });
});
