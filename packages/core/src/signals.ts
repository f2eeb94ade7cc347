/** The signal of one attempt: its deadline and the caller's abort in one AbortSignal, always cleared. */

/** Which deadline ended an attempt: its own, or the whole call's. */
export type DeadlineScope = 'attempt' | 'total';

/**
 * One timer and one controller per attempt. The timer fires at whichever deadline comes first (the
 * attempt's or what is left of the call's), so a call needs no second timer: waits between attempts
 * never outlast the call's deadline (the retry decision checks that before waiting). The caller's
 * signal is followed with one listener, removed by `clear()`; no AbortSignal.any.
 */
export class AttemptSignal {
  readonly #controller: AbortController | undefined;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort: (() => void) | undefined;
  /** The deadline this attempt ends at, and its length in ms (Infinity: none). */
  readonly scope: DeadlineScope;
  readonly timeoutMs: number;

  constructor(timeoutMs: number, scope: DeadlineScope, caller: AbortSignal | undefined) {
    this.scope = scope;
    this.timeoutMs = timeoutMs;
    const timed = Number.isFinite(timeoutMs);
    // Nothing can abort the attempt: fetch gets no signal at all.
    if (!timed && caller === undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    if (timed) {
      this.#timer = setTimeout(() => controller.abort(new DeadlineReason(timeoutMs)), Math.max(0, timeoutMs));
      // Never keep a process alive just to fire a timeout.
      (this.#timer as { unref?: () => void }).unref?.();
    }
    if (caller !== undefined) {
      this.#caller = caller;
      this.#onCallerAbort = () => controller.abort(caller.reason);
      caller.addEventListener('abort', this.#onCallerAbort, { once: true });
    }
  }

  get signal(): AbortSignal | undefined {
    return this.#controller?.signal;
  }

  /** True when the deadline passed (not when the caller aborted). */
  get expired(): boolean {
    return this.#controller?.signal.reason instanceof DeadlineReason;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onCallerAbort !== undefined) this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

/** The abort reason of a passed deadline, so it can be told apart from the caller's own abort. */
export class DeadlineReason {
  constructor(readonly timeoutMs: number) {}
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The timer is cleared either way.
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
