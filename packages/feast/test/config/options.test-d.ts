import { describe, expectTypeOf, it } from 'vitest';
import type { FeastConfigOptions } from '../../src/config/options';
import type { FeastOptions, FeatureStoreOptions } from '../../src/index';

describe('FeatureStoreOptions', () => {
  it("carries the config spec's options, with their types", () => {
    expectTypeOf<Pick<FeatureStoreOptions, keyof FeastConfigOptions>>().toEqualTypeOf<FeastConfigOptions>();
    expectTypeOf<FeatureStoreOptions['maxRetries']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FeatureStoreOptions['repoPath']>().toEqualTypeOf<string | undefined>();
    // The old name is the same type, not a second one.
    expectTypeOf<FeastOptions>().toEqualTypeOf<FeatureStoreOptions>();
  });
});
