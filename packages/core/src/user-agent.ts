import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** "node/24.1.0", "deno/2.1.0", "bun/1.2.0", or "unknown-runtime". */
export function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version?: { deno?: string } };
    Bun?: { version?: string };
    process?: { versions?: { node?: string } };
  };
  if (g.Deno?.version?.deno) return `deno/${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun/${g.Bun.version}`;
  if (g.process?.versions?.node) return `node/${g.process.versions.node}`;
  return 'unknown-runtime';
}

/**
 * "@mlops/feast/0.1.0 @mlops/core/0.1.0 node/24.1.0", then whatever the caller appends.
 * The component's name and version come first so servers' logs show who called.
 */
export function userAgent(sdk: { name: string; version: string } | undefined, extra?: string): string {
  const parts: string[] = [];
  if (sdk && sdk.name !== PACKAGE_NAME) parts.push(`${sdk.name}/${sdk.version}`);
  parts.push(`${PACKAGE_NAME}/${PACKAGE_VERSION}`, runtimeName());
  if (extra) parts.push(extra);
  return parts.join(' ');
}
