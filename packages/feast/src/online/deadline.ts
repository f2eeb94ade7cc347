import { AbortError, type ServiceId, TimeoutError } from '@mlops/core';

/** Where a deadline's error says the time went. */
export interface DeadlineTarget {
  service: ServiceId;
  /** The operation, as errors name it: 'getOnlineFeatures'. */
  method: string;
  /** The server, as errors name it: 'Redis redis 127.0.0.1:6379', the feature server's URL. */
  url: string;
}

/**
 * Settles with `work`, or rejects with a TimeoutError when `timeoutMs` passes first (an AbortError when `signal`
 * aborts first). One timer per call, cleared as soon as the work settles; the work itself is not cancelled (a
 * late Redis reply is dropped), so nothing it returns late can reach the caller. `target` is called at most once,
 * and only when the deadline passes (the hot path builds no error context).
 */
export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  target: () => DeadlineTarget,
  option: string,
): Promise<T> {
  if (signal?.aborted) {
    work.catch(() => {});
    return Promise.reject(new AbortError(undefined, { reason: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const timer = setTimeout(() => {
      finish();
      // One call: the error's context and its message must name the same server, even when `target` reads
      // state that could change between calls.
      const where = target();
      reject(
        new TimeoutError(
          { ...where, scope: 'total', timeoutMs },
          `${where.method} got no answer from ${where.url} within ${timeoutMs} ms: the server is slow, paused or unreachable. Raise ${option} if the request is just large; the call was not retried.`,
        ),
      );
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    if (signal) {
      onAbort = () => {
        finish();
        reject(new AbortError(undefined, { reason: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    work.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}
