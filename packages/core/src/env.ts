/**
 * Reads an environment variable on Node, Bun and Deno alike. Empty values count as unset. Under Deno
 * without --allow-env, variables read as unset instead of throwing.
 */
export function readEnv(name: string): string | undefined {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Deno?: { env?: { get(name: string): string | undefined } };
  };
  let value: string | undefined;
  try {
    if (g.Deno?.env) value = g.Deno.env.get(name);
    else value = g.process?.env?.[name];
  } catch {
    value = undefined;
  }
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Where an environment is read from: the process by default, a plain object in tests. */
export type EnvSource = (name: string) => string | undefined;

export function envFrom(record: Record<string, string | undefined>): EnvSource {
  return (name) => {
    const trimmed = record[name]?.trim();
    return trimmed ? trimmed : undefined;
  };
}
