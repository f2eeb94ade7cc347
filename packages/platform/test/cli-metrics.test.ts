// `mlops metrics query` against the platform's Prometheus: instant and range queries, compared with what
// PrometheusClient answers for the same expression at the same time, exact values in --json, usage errors.
import { PrometheusClient } from '@mlops/metrics';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/program';
import { mlops } from './support/cli';

const prometheusUrl = 'http://127.0.0.1:9090';
// A time a little in the past, so both sides evaluate at the same instant over the same stored samples.
const atMs = Math.floor(Date.now() / 1000) * 1000 - 30_000;
const at = String(atMs / 1000);

beforeAll(async () => {
  await fetch(`${prometheusUrl}/-/ready`).catch((error: unknown) => {
    throw new Error(
      `Prometheus is not running at ${prometheusUrl}: start it with \`pnpm platform up prometheus\` (${String(error)})`,
    );
  });
});

describe('mlops metrics query', () => {
  it('--json gives the instant vector PrometheusClient gives at the same time', async () => {
    const expr = 'up{job="prometheus"}';
    const { code, stdout, stderr } = await mlops(['metrics', 'query', expr, '--time', at, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const expected = await new PrometheusClient({ url: prometheusUrl }).query(expr, { time: new Date(atMs) });
    expect(expected.resultType).toBe('vector');
    if (expected.resultType !== 'vector') return;
    expect(expected.result).toHaveLength(1);
    expect(JSON.parse(stdout)).toEqual({
      resultType: 'vector',
      result: expected.result.map((s) => ({
        metric: s.metric,
        time: new Date(atMs).toISOString(),
        timeMs: atMs,
        value: s.value?.[1],
      })),
      warnings: [],
      infos: [],
    });
  });

  it('prints a table with the series as PromQL writes it', async () => {
    const { code, stdout } = await mlops(['metrics', 'query', 'up{job="prometheus"}', '--time', at]);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toBe(
      [
        'series                                           time                      value',
        '-----------------------------------------------  ------------------------  -----',
        `up{instance="127.0.0.1:9090", job="prometheus"}  ${new Date(atMs).toISOString()}  1`,
        '',
      ].join('\n'),
    );
  });

  it('keeps NaN and infinities exact in --json (as Prometheus spells them)', async () => {
    const inf = await mlops(['metrics', 'query', '1/0', '--time', at, '--json']);
    expect(inf.code).toBe(EXIT.ok);
    expect(JSON.parse(inf.stdout).result).toEqual({
      time: new Date(atMs).toISOString(),
      timeMs: atMs,
      value: '+Inf',
    });
    const nan = await mlops(['metrics', 'query', 'vector(0/0)', '--time', at, '--json']);
    expect(JSON.parse(nan.stdout).result[0].value).toBe('NaN');
  });

  it('--range and --step make a range query ending at --time', async () => {
    const { code, stdout } = await mlops([
      'metrics',
      'query',
      'vector(2.5)',
      '--time',
      at,
      '--range',
      '1m',
      '--step',
      '15s',
      '--json',
    ]);
    expect(code).toBe(EXIT.ok);
    const parsed = JSON.parse(stdout) as { resultType: string; result: Array<{ values: unknown[] }> };
    expect(parsed.resultType).toBe('matrix');
    expect(parsed.result).toHaveLength(1);
    expect(parsed.result[0]!.values).toEqual(
      [60, 45, 30, 15, 0].map((back) => ({
        time: new Date(atMs - back * 1000).toISOString(),
        timeMs: atMs - back * 1000,
        value: 2.5,
      })),
    );
  });

  it('exits 2 on bad usage before anything is sent, 1 when Prometheus refuses the query', async () => {
    const step = await mlops(['metrics', 'query', 'up', '--step', '15s']);
    expect(step.code).toBe(EXIT.usage);
    expect(step.stderr).toBe(
      'mlops: --step goes with --range (a range query); without --range the query is instant\n',
    );
    const range = await mlops(['metrics', 'query', 'up', '--range', '1hour']);
    expect(range.code).toBe(EXIT.usage);
    expect(range.stderr).toContain(
      "--range takes a Prometheus duration such as 30s, 15m, 1h30m or 2d; got '1hour'",
    );
    const time = await mlops(['metrics', 'query', 'up', '--time', '2026-01-01T00:00:00']);
    expect(time.code).toBe(EXIT.usage);
    const bad = await mlops(['metrics', 'query', 'sum(', '--json']);
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.stderr).toMatch(/^mlops: .*parse error/);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { exitCode: EXIT.failed } });
  });
});
