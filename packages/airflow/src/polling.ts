import { AbortError, ConnectionError, InternalServerError, RateLimitError, TimeoutError } from '@mlops/core';

/** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleepFor(ms: number, signal?: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('The wait was aborted by the caller.', { reason: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('The wait was aborted by the caller.', { reason: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The next poll interval: grows by half each time from `initialMs`, never above `maxMs`. */
export function nextInterval(current: number, maxMs: number): number {
  return Math.min(maxMs, Math.round(current * 1.5));
}

/**
 * Errors a wait rides out until its own deadline: the API server restarting, overloaded or briefly unreachable
 * (each request has already used its own retries). Anything else — not found, refused, a bad answer — ends it.
 */
export function isTransient(error: unknown): boolean {
  return (
    ConnectionError.isInstance(error) ||
    TimeoutError.isInstance(error) ||
    InternalServerError.isInstance(error) ||
    RateLimitError.isInstance(error)
  );
}
