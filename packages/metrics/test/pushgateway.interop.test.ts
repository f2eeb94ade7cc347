import { BadRequestError, ConnectionError } from '@mlops/core';
import { Counter, Gauge, type OpenMetricsContentType, Registry } from 'prom-client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MetricsInputError, Pushgateway } from '../src/index';
import { PUSHGATEWAY_URL, requireUp, unique, waitForQuery } from './support/serving';

interface Group {
  labels: Record<string, string>;
  [metric: string]: unknown;
}

/** The groups the Pushgateway holds for `job`, from its JSON API. */
async function groupsOf(job: string): Promise<Group[]> {
  const response = await fetch(`${PUSHGATEWAY_URL}/api/v1/metrics`);
  const body = (await response.json()) as { data: Group[] };
  return body.data.filter((g) => g.labels.job === job);
}

/** The pushed samples of `metric` in `group`, from the gateway's JSON API. */
function samplesOf(group: Group | undefined, metric: string): Array<{ value: string }> {
  const family = group?.[metric] as { metrics: Array<{ value: string }> } | undefined;
  return family?.metrics ?? [];
}

function registryWith(name: string, value: number): Registry {
  const registry = new Registry();
  new Gauge({ name, help: 'a test gauge', registers: [registry] }).set(value);
  return registry;
}

beforeAll(() => requireUp('pushgateway'));

describe('Pushgateway against the real 1.5.1 gateway', () => {
  const gateway = new Pushgateway({ url: PUSHGATEWAY_URL });

  it('addresses grouping values with "/", empty, ".." and non-ASCII through @base64, readable in Prometheus', {
    timeout: 60_000,
  }, async () => {
    await requireUp('prometheus');
    const job = unique('mlops_test_push');
    const metric = unique('mlops_test_rows');
    const groupings = { path: '/var/tmp/run 1', shard: '', up: '..', city: 'Zürich', plain: 'a-b_c.d' };
    await gateway.push({ job, groupings, registry: registryWith(metric, 42) });

    const groups = await groupsOf(job);
    expect(groups.map((g) => g.labels)).toEqual([
      // The gateway keeps the empty value in its grouping key; Prometheus drops empty labels (below).
      { job, path: '/var/tmp/run 1', up: '..', city: 'Zürich', plain: 'a-b_c.d', shard: '' },
    ]);
    const samples = await waitForQuery(metric, (s) => s.length === 1);
    expect(samples[0]).toEqual({
      metric: { __name__: metric, job, path: '/var/tmp/run 1', up: '..', city: 'Zürich', plain: 'a-b_c.d' },
      value: 42,
    });
    await gateway.delete({ job, groupings });
    // 202: the gateway queues a delete; it is gone a moment later.
    await vi.waitFor(async () => expect(await groupsOf(job)).toEqual([]), { timeout: 5_000 });
  });

  it('a job name with "/" goes as job@base64', async () => {
    const job = `${unique('mlops_test')}/nightly`;
    await gateway.push({ job, registry: registryWith(unique('mlops_test_g'), 1) });
    expect((await groupsOf(job)).map((g) => g.labels)).toEqual([{ job }]);
    await gateway.delete({ job });
    // 202: the gateway queues a delete; it is gone a moment later.
    await vi.waitFor(async () => expect(await groupsOf(job)).toEqual([]), { timeout: 5_000 });
  });

  it('push (PUT) replaces the group, pushAdd (POST) replaces only the names it sends', async () => {
    const job = unique('mlops_test_put');
    const [a, b] = [unique('mlops_test_a'), unique('mlops_test_b')];
    await gateway.push({ job, registry: registryWith(a, 1) });
    await gateway.pushAdd({ job, registry: registryWith(b, 2) });
    let [group] = await groupsOf(job);
    expect(
      Object.keys(group ?? {})
        .filter((k) => k.startsWith('mlops_test_'))
        .sort(),
    ).toEqual([a, b].sort());
    await gateway.pushAdd({ job, registry: registryWith(a, 3) });
    [group] = await groupsOf(job);
    expect(samplesOf(group, a).map((m) => m.value)).toEqual(['3']);
    expect(samplesOf(group, b).map((m) => m.value)).toEqual(['2']);
    await gateway.push({ job, registry: registryWith(b, 5) });
    [group] = await groupsOf(job);
    expect(Object.keys(group ?? {}).filter((k) => k.startsWith('mlops_test_'))).toEqual([b]);
    await gateway.delete({ job });
  });

  it('sends the text format with its Content-Type, gzipped by default and plain on request', async () => {
    const seen: Array<{ type: string | null; encoding: string | null; bytes: number }> = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const body = await request.clone().arrayBuffer();
      seen.push({
        type: request.headers.get('content-type'),
        encoding: request.headers.get('content-encoding'),
        bytes: body.byteLength,
      });
      return fetch(request);
    };
    const job = unique('mlops_test_enc');
    const registry = new Registry();
    const name = unique('mlops_test_total');
    const counter = new Counter({ name, help: 'h', labelNames: ['k'], registers: [registry] });
    for (let i = 0; i < 50; i++) counter.inc({ k: `value_${i}` }, i);
    const text = await registry.metrics();
    await new Pushgateway({ url: PUSHGATEWAY_URL, fetch: recording }).push({ job, registry });
    await new Pushgateway({ url: PUSHGATEWAY_URL, fetch: recording, gzip: false }).push({ job, registry });
    expect(seen.map(({ type, encoding }) => ({ type, encoding }))).toEqual([
      { type: 'text/plain; version=0.0.4; charset=utf-8', encoding: 'gzip' },
      { type: 'text/plain; version=0.0.4; charset=utf-8', encoding: null },
    ]);
    expect(seen[0]!.bytes).toBeLessThan(text.length / 3);
    expect(seen[1]!.bytes).toBe(Buffer.byteLength(text));
    const [group] = await groupsOf(job);
    expect(samplesOf(group, name)).toHaveLength(50);
    await gateway.delete({ job });
  });

  it('a push the gateway finds inconsistent is a BadRequestError with its reason', async () => {
    const job = unique('mlops_test_bad');
    const name = unique('mlops_test_clash');
    await gateway.push({ job, groupings: { instance: 'a' }, registry: registryWith(name, 1) });
    const registry = new Registry();
    new Counter({ name, help: 'a different type', registers: [registry] }).inc();
    const error = await gateway
      .push({ job, groupings: { instance: 'b' }, registry })
      .catch((e: unknown) => e);
    expect(BadRequestError.isInstance(error)).toBe(true);
    expect((error as BadRequestError).service).toBe('pushgateway');
    expect((error as Error).message).toContain('inconsistent with existing metrics');
    await gateway.delete({ job, groupings: { instance: 'a' } });
  });

  it('refuses what it cannot address or the gateway cannot parse, before sending', async () => {
    let sent = 0;
    const counting = new Pushgateway({
      url: PUSHGATEWAY_URL,
      fetch: (i, n) => {
        sent++;
        return fetch(i, n);
      },
    });
    const registry = registryWith(unique('mlops_test_x'), 1);
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const cases: Array<[() => Promise<void>, string, string]> = [
      [() => counting.push({ job: '', registry }), 'job', 'non-empty job name'],
      [
        () => counting.push({ job: 'j', groupings: { 'bad-name': 'x' }, registry }),
        'groupings.bad-name',
        'not a valid Prometheus label name',
      ],
      [
        () => counting.push({ job: 'j', groupings: { __reserved: 'x' }, registry }),
        'groupings.__reserved',
        'not starting with a digit or with "__"',
      ],
      [
        () => counting.push({ job: 'j', groupings: { job: 'x' }, registry }),
        'groupings.job',
        'pass it as `job`',
      ],
      [
        () => counting.delete({ job: 'j', groupings: { '1x': 'x' } }),
        'groupings.1x',
        'not a valid Prometheus label name',
      ],
      [
        // @ts-expect-error the types refuse an OpenMetrics registry too; this is what a JavaScript caller gets
        () => counting.push({ job: 'j', registry: openMetrics }),
        'registry',
        'Prometheus text format only',
      ],
    ];
    for (const [call, input, text] of cases) {
      const error = await call().catch((e: unknown) => e);
      expect(MetricsInputError.isInstance(error), input).toBe(true);
      expect((error as MetricsInputError).input).toBe(input);
      expect((error as Error).message).toContain(text);
    }
    expect(sent).toBe(0);
  });

  it('a gateway that does not answer is a ConnectionError naming it', async () => {
    const down = new Pushgateway({ url: 'http://127.0.0.1:9', maxRetries: 0 });
    const error = await down
      .push({ job: 'j', registry: registryWith('mlops_test_down', 1) })
      .catch((e: unknown) => e);
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Pushgateway');
  });
});
