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
 * What a call's work can see of its deadline: how long the call has, and whether its caller already has an
 * answer. Work whose call is settled is abandoned: it should send nothing more and decode nothing (a paused Redis
 * must not leave thousands of abandoned commands to send and replies to decode when it comes back).
 */
export interface CallDeadline {
  readonly timeoutMs: number;
  /** True once the caller has its answer: a value, a TimeoutError or an AbortError. */
  settled: boolean;
}

/** What work abandoned by its caller (its call already settled) rejects with: no caller ever sees it. */
export const ABANDONED: Error = new Error('abandoned: the call had already settled');

/**
 * Settles with `work(call)`, or rejects with a TimeoutError when `timeoutMs` passes first (an AbortError when
 * `signal` aborts first). One timer per call, cleared as soon as the work settles; the work itself is not
 * cancelled, but `call.settled` tells it that its answer would be dropped. `target` is called at most once, and
 * only when the deadline passes (the hot path builds no error context).
 */
export function withDeadline<T>(
  work: (call: CallDeadline) => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  target: () => DeadlineTarget,
  option: string,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, { reason: signal.reason }));
  const call: CallDeadline = { timeoutMs, settled: false };
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
      call.settled = true;
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
    let pending: Promise<T>;
    try {
      pending = work(call);
    } catch (error) {
      finish();
      reject(error);
      return;
    }
    pending.then(
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
