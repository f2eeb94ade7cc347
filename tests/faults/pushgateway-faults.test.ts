import { ConnectionError, TimeoutError } from '@mlops/core';
import { Pushgateway, type PushRequest } from '@mlops/metrics';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { report } from './support/load';
import { freePort, ServerProcess } from './support/processes';

// Issue 15: a batch job's push while its Pushgateway is paused (SIGSTOP), killed, and restarted. Each push ends
// within its attempts' deadlines with a typed error while the gateway cannot answer, and the first push after
// it is back stores exactly the job's values.
let gateway: ServerProcess & { port: number };

beforeAll(async () => {
  const port = await freePort();
  const server = new ServerProcess(
    `pushgateway-${port}`,
    'prometheus-pushgateway',
    () => [`--web.listen-address=127.0.0.1:${port}`],
    async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok,
  );
  await server.start().catch((error: unknown) => {
    throw new Error(
      `could not start a private prometheus-pushgateway (Debian package, installed by \`pnpm platform up pushgateway\`): ${String(error)}`,
    );
  });
  gateway = Object.assign(server, { port });
});

afterAll(async () => {
  await gateway?.stop();
});

/** What a batch job's prom-client registry exposes, with one gauge. */
function jobRegistry(value: number): PushRequest['registry'] {
  return {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    metrics: async () =>
      `# HELP faults_rows_written rows\n# TYPE faults_rows_written gauge\nfaults_rows_written ${value}\n`,
  };
}

it('paused, killed and restarted: typed errors within the deadlines, then exactly the pushed values', async () => {
  const client = new Pushgateway({
    url: `http://127.0.0.1:${gateway.port}`,
    attemptTimeoutMs: 500,
    maxRetries: 1,
  });
  const target = { job: `faults_${process.pid}`, groupings: { instance: 'batch-1' } };
  // Two attempts of 500 ms plus one backoff: the push must have ended well within 2 s.
  const bound = 2000;

  gateway.pause();
  let t0 = performance.now();
  const paused = await client.push({ ...target, registry: jobRegistry(1) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const pausedMs = performance.now() - t0;
  gateway.resume();
  expect(TimeoutError.isInstance(paused), String(paused)).toBe(true);
  expect(pausedMs).toBeLessThan(bound);

  await gateway.kill();
  t0 = performance.now();
  const down = await client.push({ ...target, registry: jobRegistry(2) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const downMs = performance.now() - t0;
  expect(ConnectionError.isInstance(down), String(down)).toBe(true);
  expect(downMs).toBeLessThan(bound);

  await gateway.start();
  await client.push({ ...target, registry: jobRegistry(123_456_789_012) });
  const text = await fetch(`http://127.0.0.1:${gateway.port}/metrics`).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith('faults_rows_written{'));
  report('pushgateway-paused-killed-restarted', {
    pausedMs: Math.round(pausedMs),
    downMs: Math.round(downMs),
    stored: line,
  });
  expect(line).toMatch(/instance="batch-1"/);
  expect(line).toMatch(new RegExp(`job="faults_${process.pid}"`));
  expect(line?.endsWith(' 1.23456789012e+11')).toBe(true);
});
