// Run ids chosen by the client, and the comparison that tells our run from someone else's under one id.

/** `mlops__2026-01-01T00:00:00.000Z_k3j9x2` — unique, sortable, and recognisable as ours. */
export function generateRunId(now: number): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
    b.toString(36).padStart(2, '0'),
  ).join('');
  return `mlops__${new Date(now).toISOString()}_${random}`;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
