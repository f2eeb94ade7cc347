import type { Command } from 'commander';
import type { Platform } from '../platform';

/** What a command uses of the CLI: where to write, and a platform opened and closed around its work. */
export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  stderrStream: NodeJS.WritableStream;
  /** The folder relative paths on the command line are resolved against. */
  cwd: string;
  /** Creates the platform, runs `fn`, and closes it whatever happens. */
  withPlatform<T>(fn: (platform: Platform) => Promise<T>): Promise<T>;
  setExitCode(code: number): void;
}

/**
 * The command group `name` (`feast`, `models`, `dags`, ...): the one already registered, or a new one. Each file
 * of commands adds its subcommands through this, so two files can add to one group (`models resolve|pull` here,
 * `models promote` with the workflows) without either knowing of the other.
 */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}
