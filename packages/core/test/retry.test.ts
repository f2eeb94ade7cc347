import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, resolveRetry, retryAfterMs } from '../src/retry';

describe('retry policy', () => {
  it('reads retry-after-ms, Retry-After seconds and Retry-After dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '100', 'retry-after': '9' }), now)).toBe(100);
  });

  it('waits a uniform, capped, exponentially growing time (full jitter)', () => {
    const policy = resolveRetry({ initialDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(0, policy, () => 0.999999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999999)).toBe(799);
    expect(backoffDelay(10, policy, () => 0.999999)).toBe(999);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const delay = backoffDelay(retry, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** retry));
      }),
    );
  });

  it('layers client and call options over the defaults; false disables', () => {
    expect(resolveRetry()).toEqual(DEFAULT_RETRY);
    expect(resolveRetry({ maxRetries: 5 }, { initialDelayMs: 1 })).toMatchObject({
      maxRetries: 5,
      initialDelayMs: 1,
    });
    expect(resolveRetry({ maxRetries: 5 }, false).maxRetries).toBe(0);
    expect(resolveRetry(false, { maxRetries: 1 }).maxRetries).toBe(1);
  });
});
