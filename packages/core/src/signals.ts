/** Deadlines as AbortSignals, combined with the caller's, and always cleared. */

/** A deadline that aborts its signal when it passes. `clear()` stops the timer; Infinity never fires. */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly expiresAt: number;

  constructor(readonly timeoutMs: number) {
    this.expiresAt = Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
    if (Number.isFinite(timeoutMs)) {
      this.#timer = setTimeout(
        () => this.#controller.abort(new DeadlineReason(timeoutMs)),
        Math.max(0, timeoutMs),
      );
      // Never keep a process alive just to fire a timeout.
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  remainingMs(now: number = Date.now()): number {
    return this.expiresAt - now;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/** The abort reason of a passed deadline, so it can be told apart from the caller's own abort. */
export class DeadlineReason {
  constructor(readonly timeoutMs: number) {}
}

/** One signal that aborts when any of the given ones does. */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 1) return present[0]!;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(present);
  const controller = new AbortController();
  const onAbort = (event: Event): void => {
    const source = event.target as AbortSignal;
    controller.abort(source.reason);
    for (const s of present) s.removeEventListener('abort', onAbort);
  };
  for (const s of present) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', onAbort, { once: true });
  }
  return controller.signal;
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The timer is cleared either way.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
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
