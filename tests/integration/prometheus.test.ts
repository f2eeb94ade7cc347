import { createHttpClient } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { needs, pins, url } from './support/platform';

const prometheus = createHttpClient({ service: 'prometheus', baseUrl: url('PROMETHEUS_PORT') });
const pushgateway = createHttpClient({ service: 'pushgateway', baseUrl: url('PUSHGATEWAY_PORT') });

async function query(
  promql: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await prometheus.fetch(`/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as {
    status: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe('Prometheus and Pushgateway', () => {
  it('are ready and run the pinned versions', async () => {
    expect((await needs('prometheus', () => prometheus.fetch('/-/ready'))).status).toBe(200);
    expect((await needs('pushgateway', () => pushgateway.fetch('/-/ready'))).status).toBe(200);
    const build = (await (await prometheus.fetch('/api/v1/status/buildinfo')).json()) as {
      data: { version: string };
    };
    // Debian's build reports "2.42.0+ds".
    expect(build.data.version.split('+')[0]).toBe(pins.PROMETHEUS_VERSION);
    const status = (await (await pushgateway.fetch('/api/v1/status')).json()) as {
      data: { build_information: { version: string } };
    };
    expect(status.data.build_information.version).toBe(pins.PUSHGATEWAY_VERSION);
  });

  it('carries a pushed metric from the Pushgateway into Prometheus', async () => {
    const value = Math.floor(Math.random() * 1_000_000);
    const job = `it_${Date.now()}`;
    const pushed = await needs('pushgateway', () =>
      pushgateway.fetch(`/metrics/job/${job}`, {
        method: 'PUT',
        headers: { 'content-type': 'text/plain; version=0.0.4' },
        body: `# TYPE mlops_it_value gauge\nmlops_it_value ${value}\n`,
      }),
    );
    expect(pushed.status).toBe(200);
    // Prometheus scrapes the Pushgateway on its interval: wait for the sample, bounded.
    const deadline = Date.now() + 45_000;
    let seen: string | undefined;
    while (Date.now() < deadline && seen === undefined) {
      const result = await query(`mlops_it_value{job="${job}"}`);
      seen = result[0]?.value[1];
      if (seen === undefined) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(seen).toBe(String(value));
    await pushgateway.fetch(`/metrics/job/${job}`, { method: 'DELETE' });
  });
});
