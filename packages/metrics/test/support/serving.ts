/**
 * What the serving, Pushgateway and drift tests share: unique names, readiness checks that say how to start
 * the platform, and reading series back from the platform's Prometheus with plain HTTP (fetch).
 */
import { randomBytes } from 'node:crypto';

export const PROMETHEUS_URL = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
export const PUSHGATEWAY_URL = process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091';

/** A suffix that makes this run's job, model and metric names its own on the shared servers. */
export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Fails loudly, with the command that starts it, when a platform component does not answer. */
export async function requireUp(component: 'prometheus' | 'pushgateway'): Promise<void> {
  const url = component === 'prometheus' ? PROMETHEUS_URL : PUSHGATEWAY_URL;
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(5_000) });
    if (response.ok) return;
    throw new Error(`status ${response.status}`);
  } catch (error) {
    throw new Error(
      `${component} is not ready at ${url} (${error instanceof Error ? error.message : String(error)}). Start it with: pnpm platform up ${component}`,
    );
  }
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An instant query, through Prometheus's HTTP API. */
export async function query(expr: string): Promise<Sample[]> {
  const response = await fetch(`${PROMETHEUS_URL}/api/v1/query`, {
    method: 'POST',
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  if (body.data.resultType !== 'vector') throw new Error(`expected a vector for ${expr}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/**
 * Polls `expr` until `done(samples)` holds, across Prometheus's scrapes (every 5 s, platform/prometheus/
 * prometheus.yml); fails with the last answer after `timeoutMs`.
 */
export async function waitForQuery(
  expr: string,
  done: (samples: Sample[]) => boolean,
  timeoutMs = 30_000,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  for (;;) {
    last = await query(expr);
    if (done(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `Prometheus never answered ${expr} as expected in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
