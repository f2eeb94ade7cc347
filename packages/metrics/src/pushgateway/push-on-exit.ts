import type { PushRegistry, PushTarget } from './grouping';

/** The part of `process` that pushOnExit uses; injectable so the exits can be tested in-process. */
export interface ExitProcess {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code?: number): never | undefined;
  kill(pid: number, signal?: string): unknown;
  readonly pid: number;
  exitCode?: number | string | null | undefined;
}

export interface PushOnExitOptions extends PushTarget {
  /** The metrics to push when the process ends, as they are then. */
  registry: PushRegistry;
  /** 'push' (PUT, the group becomes exactly these metrics; default) or 'pushAdd' (POST). */
  method?: 'push' | 'pushAdd';
  /** Deadline of the final push in ms, so a gateway that is down cannot hold the exit. Default 5 000. */
  timeoutMs?: number;
  /** Signals after which the metrics are pushed before the process ends. Default SIGINT, SIGTERM. */
  signals?: readonly string[];
  /** Told when the final push fails (the exit goes on). Default: a line on stderr. */
  onError?: (error: unknown) => void;
  /** The process to watch. Default `globalThis.process`. */
  process?: ExitProcess;
}

export interface PushOnExitHandle {
  /** Pushes now and stops watching: call it before an explicit `process.exit()`, which cannot wait. */
  flush(): Promise<void>;
  /** Stops watching without pushing. */
  dispose(): void;
}

type Send = (
  method: 'push' | 'pushAdd',
  request: PushOnExitOptions & { signal: AbortSignal },
) => Promise<void>;

/**
 * Watches the process's end (the event loop running dry, an uncaught exception or unhandled rejection, a
 * signal) and pushes the registry once before it goes, then ends the way Node would have: the same exit
 * code, the error's stack on stderr, the signal re-raised.
 */
export function watchExit(send: Send, options: PushOnExitOptions): PushOnExitHandle {
  const proc: ExitProcess = options.process ?? globalThis.process;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const onError =
    options.onError ??
    ((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`@mlops/metrics: the final push of job ${JSON.stringify(options.job)} failed: ${reason}`);
    });
  let pushed: Promise<void> | undefined;

  const pushOnce = (): Promise<void> => {
    pushed ??= send(options.method ?? 'push', { ...options, signal: AbortSignal.timeout(timeoutMs) }).catch(
      onError,
    );
    return pushed;
  };
  const onBeforeExit = () => {
    if (pushed) return;
    void pushOnce().finally(dispose);
  };
  const onUncaught = (error: unknown) => {
    dispose();
    void pushOnce().finally(() => {
      console.error(error);
      proc.exit(1);
    });
  };
  const onSignal = (signal: unknown) => {
    dispose();
    // Re-raised without our listener, the signal ends the process as it would have (exit status 128 + n).
    void pushOnce().finally(() => proc.kill(proc.pid, String(signal)));
  };
  const dispose = () => {
    proc.off('beforeExit', onBeforeExit);
    proc.off('uncaughtException', onUncaught);
    for (const signal of signals) proc.off(signal, onSignal);
  };
  proc.on('beforeExit', onBeforeExit);
  proc.on('uncaughtException', onUncaught);
  for (const signal of signals) proc.on(signal, onSignal);

  return {
    flush: () => {
      dispose();
      return pushOnce();
    },
    dispose,
  };
}
