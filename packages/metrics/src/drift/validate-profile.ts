import { MetricsInputError } from '../serving/errors';
import type { FeatureProfile, Profile } from './profile';

/**
 * Checks a profile read back from JSON before a monitor trusts it, so a truncated or hand-edited file is a
 * MetricsInputError naming the field rather than NaN on a dashboard.
 */
export function checkProfile(profile: Profile): Profile {
  const fail = (input: string, what: string): never => {
    throw new MetricsInputError(
      input,
      `${input}: ${what}. Pass what profileFrom(table) returned (or its JSON parsed back, unchanged).`,
    );
  };
  if (typeof profile !== 'object' || profile === null) fail('profile', 'expected a profile object');
  if (profile.version !== 1)
    fail('profile.version', `expected version 1, got ${JSON.stringify(profile.version)}`);
  if (!Array.isArray(profile.features) || profile.features.length === 0)
    fail('profile.features', 'expected a non-empty array of feature profiles');
  const seen = new Set<string>();
  profile.features.forEach((f: FeatureProfile, i) => {
    const at = `profile.features[${i}]`;
    if (typeof f?.name !== 'string' || f.name === '') fail(`${at}.name`, "expected the feature's name");
    if (seen.has(f.name)) fail(`${at}.name`, `${JSON.stringify(f.name)} appears twice`);
    seen.add(f.name);
    const numbers = (key: string, value: unknown, length?: number) => {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        fail(`${at}.${key}`, 'expected an array of finite numbers');
      if (length !== undefined && (value as number[]).length !== length)
        fail(`${at}.${key}`, `expected ${length} numbers, got ${(value as number[]).length}`);
    };
    if (f.kind === 'numeric') {
      numbers('edges', f.edges);
      if (f.edges.some((e, j) => j > 0 && e <= f.edges[j - 1]!))
        fail(`${at}.edges`, 'expected strictly increasing edges');
      numbers('frequencies', f.frequencies, f.edges.length + 1);
      numbers('quantiles', f.quantiles);
      if (f.quantiles.length < 2 || f.quantiles.some((q, j) => j > 0 && q < f.quantiles[j - 1]!))
        fail(`${at}.quantiles`, 'expected at least 2 non-decreasing quantiles');
      if (!Number.isFinite(f.min) || !Number.isFinite(f.max) || f.min > f.max)
        fail(`${at}.min`, 'expected finite min ≤ max');
    } else if (f.kind === 'categorical') {
      if (!Array.isArray(f.categories) || f.categories.some((c) => typeof c !== 'string'))
        fail(`${at}.categories`, 'expected an array of strings');
      numbers('frequencies', f.frequencies, f.categories.length);
      if (typeof f.otherFrequency !== 'number' || !(f.otherFrequency >= 0))
        fail(`${at}.otherFrequency`, 'expected a number ≥ 0');
    } else {
      fail(
        `${at}.kind`,
        `expected "numeric" or "categorical", got ${JSON.stringify((f as { kind?: unknown }).kind)}`,
      );
    }
  });
  return profile;
}
