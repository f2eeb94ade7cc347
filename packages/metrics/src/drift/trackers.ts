/**
 * One sliding window per feature, of the last `window` observations, in fixed-size typed arrays allocated
 * once: memory is O(window) per feature (9 bytes an observation for numbers, 4 for categories) whatever
 * the traffic. Counts per bin, missing and out-of-range values are kept up to date as values enter and
 * leave the window, so an update costs a binary search over the bin edges and a few array writes; the KS
 * statistic, which needs the window sorted, is computed when Prometheus scrapes.
 */
import { MetricsInputError } from '../serving/errors';
import type { CategoricalFeatureProfile, NumericFeatureProfile } from './profile';
import { binOf, ksStatistic, psi } from './stats';

/** The window of one feature and the statistics Prometheus reads from it. */
export interface Tracker {
  readonly name: string;
  add(value: unknown): void;
  /** Observations in the window. */
  size(): number;
  /** Share of the window's observations that were missing. */
  missingRate(): number;
  /** Share of the window's present values outside the training range (or categories). */
  outOfRangeRate(): number;
  /** Population stability index of the window's present values against the training bins. */
  psi(): number;
  /** Kolmogorov–Smirnov statistic of the window's present values against the training CDF (numbers only). */
  ks(): number | undefined;
}

const MISSING = 0xffff;

export class NumericTracker implements Tracker {
  readonly name: string;
  readonly #profile: NumericFeatureProfile;
  readonly #values: Float64Array;
  readonly #codes: Uint16Array;
  readonly #binCounts: Int32Array;
  readonly #scratch: Float64Array;
  #pos = 0;
  #size = 0;
  #missing = 0;
  #outOfRange = 0;

  constructor(profile: NumericFeatureProfile, window: number) {
    this.name = profile.name;
    this.#profile = profile;
    this.#values = new Float64Array(window);
    this.#codes = new Uint16Array(window);
    this.#scratch = new Float64Array(window);
    this.#binCounts = new Int32Array(profile.frequencies.length);
  }

  add(raw: unknown): void {
    let value: number;
    if (typeof raw === 'number') value = raw;
    else if (raw === null || raw === undefined) value = Number.NaN;
    else if (typeof raw === 'bigint') value = Number(raw);
    else
      throw new MetricsInputError(
        `features.${this.name}`,
        `features.${this.name}: the profile has numbers for this feature, got ${typeof raw} ${JSON.stringify(raw)}. Pass a number (null or undefined when missing).`,
      );
    const window = this.#values.length;
    const pos = this.#pos;
    if (this.#size === window) this.#evict(pos);
    else this.#size++;
    this.#values[pos] = value;
    if (Number.isNaN(value)) {
      this.#codes[pos] = MISSING;
      this.#missing++;
    } else {
      const bin = binOf(this.#profile.edges, value);
      this.#codes[pos] = bin;
      this.#binCounts[bin]!++;
      if (value < this.#profile.min || value > this.#profile.max) this.#outOfRange++;
    }
    this.#pos = pos + 1 === window ? 0 : pos + 1;
  }

  #evict(pos: number): void {
    const code = this.#codes[pos]!;
    if (code === MISSING) {
      this.#missing--;
      return;
    }
    this.#binCounts[code]!--;
    const old = this.#values[pos]!;
    if (old < this.#profile.min || old > this.#profile.max) this.#outOfRange--;
  }

  size(): number {
    return this.#size;
  }
  missingRate(): number {
    return this.#missing / this.#size;
  }
  outOfRangeRate(): number {
    const present = this.#size - this.#missing;
    return present === 0 ? 0 : this.#outOfRange / present;
  }
  psi(): number {
    return psi(this.#profile.frequencies, this.#binCounts, this.#size - this.#missing);
  }
  ks(): number | undefined {
    let n = 0;
    for (let i = 0; i < this.#size; i++)
      if (this.#codes[i] !== MISSING) this.#scratch[n++] = this.#values[i]!;
    if (n === 0) return undefined;
    const sorted = this.#scratch.subarray(0, n).sort();
    return ksStatistic(sorted, n, this.#profile.quantiles);
  }
}

export class CategoricalTracker implements Tracker {
  readonly name: string;
  readonly #codes: Int32Array;
  readonly #index: Map<string, number>;
  readonly #expected: number[];
  readonly #counts: Int32Array;
  /** The code of values beyond the profile's categories: out of range when the profile lists them all. */
  readonly #other: number;
  readonly #otherIsUnseen: boolean;
  #pos = 0;
  #size = 0;
  #missing = 0;

  constructor(profile: CategoricalFeatureProfile, window: number) {
    this.name = profile.name;
    this.#codes = new Int32Array(window);
    this.#index = new Map(profile.categories.map((c, i) => [c, i]));
    this.#other = profile.categories.length;
    this.#otherIsUnseen = profile.otherFrequency === 0;
    this.#expected = [...profile.frequencies, profile.otherFrequency];
    this.#counts = new Int32Array(this.#other + 1);
  }

  add(raw: unknown): void {
    let code: number;
    if (raw === null || raw === undefined) code = -1;
    else if (typeof raw === 'string') code = this.#index.get(raw) ?? this.#other;
    else if (typeof raw === 'boolean' || typeof raw === 'number' || typeof raw === 'bigint')
      code = this.#index.get(String(raw)) ?? this.#other;
    else
      throw new MetricsInputError(
        `features.${this.name}`,
        `features.${this.name}: the profile has categories for this feature, got ${typeof raw}. Pass a string, boolean or number (null or undefined when missing).`,
      );
    const window = this.#codes.length;
    const pos = this.#pos;
    if (this.#size === window) {
      const old = this.#codes[pos]!;
      if (old === -1) this.#missing--;
      else this.#counts[old]!--;
    } else this.#size++;
    this.#codes[pos] = code;
    if (code === -1) this.#missing++;
    else this.#counts[code]!++;
    this.#pos = pos + 1 === window ? 0 : pos + 1;
  }

  size(): number {
    return this.#size;
  }
  missingRate(): number {
    return this.#missing / this.#size;
  }
  outOfRangeRate(): number {
    const present = this.#size - this.#missing;
    return present === 0 || !this.#otherIsUnseen ? 0 : this.#counts[this.#other]! / present;
  }
  psi(): number {
    return psi(this.#expected, this.#counts, this.#size - this.#missing);
  }
  ks(): undefined {
    return undefined;
  }
}
