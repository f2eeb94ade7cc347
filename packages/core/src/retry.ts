/** When and how long to wait before trying a request again. */

export interface RetryOptions {
  /** Retries after the first attempt. Default 2 (three attempts in all). 0 disables retries. */
  maxRetries?: number;
  /** Backoff base: the first retry waits up to this long. Default 500 ms. */
  initialDelayMs?: number;
  /** Backoff ceiling for one wait. Default 8 000 ms. */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` we honour. A server asking for more is not retried: the error is raised
   * at once, with `retryAfterMs` on it, so the caller decides. Default 60 000 ms.
   */
  maxRetryAfterMs?: number;
  /** Statuses that are retried (for idempotent calls). Default 408, 425, 429, 500, 502, 503, 504. */
  statuses?: readonly number[];
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = Object.freeze({
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  statuses: Object.freeze([408, 425, 429, 500, 502, 503, 504]),
});

/** Client options, then call options, over the defaults. `false` means no retries. */
export function resolveRetry(...layers: Array<RetryOptions | false | undefined>): ResolvedRetryOptions {
  let resolved: ResolvedRetryOptions = { ...DEFAULT_RETRY };
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === false) {
      resolved = { ...resolved, maxRetries: 0 };
      continue;
    }
    resolved = {
      maxRetries: layer.maxRetries ?? resolved.maxRetries,
      initialDelayMs: layer.initialDelayMs ?? resolved.initialDelayMs,
      maxDelayMs: layer.maxDelayMs ?? resolved.maxDelayMs,
      maxRetryAfterMs: layer.maxRetryAfterMs ?? resolved.maxRetryAfterMs,
      statuses: layer.statuses ?? resolved.statuses,
    };
  }
  return resolved;
}

/** Methods that are safe to repeat. POST and PATCH are retried only when the call says they may be. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
  'TRACE',
]);

/**
 * Exponential backoff with full jitter: a uniform wait in [0, min(maxDelay, initial · 2^retry)].
 * `retry` counts from 0 for the first retry.
 */
export function backoffDelay(
  retry: number,
  options: ResolvedRetryOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The wait a response asks for, in milliseconds: `retry-after-ms` first, then `Retry-After` as
 * seconds or as an HTTP date. Undefined when there is none or it does not parse.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
