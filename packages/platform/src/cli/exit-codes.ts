/** Exit codes of `mlops` (printed by `mlops --help` and in the README's CLI reference). */
export const EXIT = {
  ok: 0,
  /**
   * The command ran and failed: a component unreachable or unhealthy, an API error, a failed check or run, a
   * generated file that is stale (`feast codegen --check`).
   */
  failed: 1,
  /** The command line or the configuration is wrong: unknown flag, missing option, bad environment variable. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line per exit code, for `--help` and the README. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  success',
  '  1  the command ran and failed: a component unreachable or unhealthy, an API error, a failed',
  '     check or run, a stale generated file (feast codegen --check)',
  '  2  bad usage or configuration: unknown command or flag, a missing or malformed option, a bad',
  '     environment variable',
].join('\n');

/** `--help` text after a command's own: its examples, then (on the root) the exit codes. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}
