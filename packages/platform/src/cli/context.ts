import type { Platform } from '../platform';

/** What a command uses of the CLI: where to write, and a platform opened and closed around its work. */
export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  stderrStream: NodeJS.WritableStream;
  /** Creates the platform, runs `fn`, and closes it whatever happens. */
  withPlatform<T>(fn: (platform: Platform) => Promise<T>): Promise<T>;
  setExitCode(code: number): void;
}
