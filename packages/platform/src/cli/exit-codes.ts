/** Exit codes of `mlops` (also in the README). */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: a component unreachable or unhealthy, an API error, a failed check or run. */
  failed: 1,
  /** The command line or the configuration is wrong: unknown flag, missing option, bad environment variable. */
  usage: 2,
} as const;
