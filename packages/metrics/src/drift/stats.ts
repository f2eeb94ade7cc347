/**
 * The statistics of drift, small and exact, each checked against numpy/scipy on the same data
 * (test/drift.interop.test.ts).
 */

/** Proportions below this count as this in the population stability index, so an empty bin stays finite. */
export const PSI_EPSILON = 1e-4;

/** Quantile `p` of sorted values with linear interpolation (numpy's default method, R's type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * The bin of `value` among inner edges: 0 for value ≤ edges[0], i for edges[i-1] < value ≤ edges[i], and
 * edges.length above the last (numpy's `searchsorted(edges, value, side='left')`).
 */
export function binOf(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Population stability index Σ (a − e)·ln(a / e) over bins, proportions floored at PSI_EPSILON. */
export function psi(
  expected: ArrayLike<number>,
  actualCounts: ArrayLike<number>,
  actualTotal: number,
): number {
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPSILON);
    const a = Math.max(actualCounts[i]! / actualTotal, PSI_EPSILON);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * The reference CDF a profile's quantiles describe: `quantiles[j]` is the value at level j/(q−1); between
 * two points the CDF is linear; at a tie it jumps (right-continuous): 0 below the first, 1 from the last.
 */
export function referenceCdf(quantiles: ArrayLike<number>, x: number): number {
  const q = quantiles.length - 1;
  if (x < quantiles[0]!) return 0;
  if (x >= quantiles[q]!) return 1;
  // The last point ≤ x.
  let lo = 0;
  let hi = q;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (quantiles[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  const left = quantiles[lo]!;
  const right = quantiles[lo + 1]!;
  return (lo + (x - left) / (right - left)) / q;
}

/**
 * One-sample Kolmogorov–Smirnov statistic D = sup |Fₙ(x) − F(x)| of sorted values against the reference
 * CDF (scipy's `kstest(values, cdf).statistic`: max of D⁺ = i/n − F(xᵢ) and D⁻ = F(xᵢ) − (i−1)/n).
 */
export function ksStatistic(sorted: ArrayLike<number>, n: number, quantiles: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = referenceCdf(quantiles, sorted[i]!);
    const plus = (i + 1) / n - f;
    const minus = f - i / n;
    if (plus > d) d = plus;
    if (minus > d) d = minus;
  }
  return d;
}
