/**
 * The README's quick starts, run as written (against the real Pushgateway for the batch job), with two
 * changes a shared machine needs: the serving example listens on a free port instead of 9464, and the batch
 * job's name carries this run's suffix. Each block is the code after a `<!-- quickstart:NAME -->` marker.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type FeatureDrift, Pushgateway } from '../src/index';
import { PUSHGATEWAY_URL, requireUp, unique } from './support/serving';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const dir = new URL('./.quickstarts/', import.meta.url);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function quickstart(name: string): string {
  const match = new RegExp(`<!-- quickstart:${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme);
  if (!match?.[1]) throw new Error(`README.md has no quick start marked <!-- quickstart:${name} -->`);
  return match[1];
}

/** Writes the code beside the tests (so its imports resolve as theirs do) and imports it. */
async function run<T>(name: string, code: string): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}-${Date.now()}.ts`, dir);
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ file.href)) as T;
}

function replaceOnce(code: string, from: string, to: string): string {
  if (!code.includes(from)) throw new Error(`the quick start no longer contains ${JSON.stringify(from)}`);
  return code.replace(from, to);
}

describe('README quick starts', () => {
  it('instrument a serving service: a request, then a scrape with its series', async () => {
    const code = replaceOnce(quickstart('serving'), 'server.listen(9464,', 'server.listen(0,');
    const { server } = await run<{ server: Server }>('serving', `${code}\nexport { server };\n`);
    try {
      await new Promise((resolve) =>
        server.listening ? resolve(undefined) : server.once('listening', resolve),
      );
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await (await fetch(`${base}/predict`, { method: 'POST' })).json()).toEqual({ score: 0.73 });
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const line of [
        'mlops_inference_requests_total{model_name="churn",model_version="3",outcome="success"} 1',
        'mlops_predictions_total{model_name="churn",model_version="3",predicted_class="churns"} 1',
        'mlops_feature_missing_total{feature_view="driver_stats",status="NOT_FOUND"} 1',
        'mlops_feature_values_total{feature_view="driver_stats"} 2',
        'mlops_inference_requests_in_flight{model_name="churn",model_version="3"} 0',
      ])
        expect(text).toContain(`${line}\n`);
      expect(text).toMatch(/^mlops_feature_freshness_seconds\{feature_view="driver_stats"\} 60(\.\d+)?$/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('push from a batch job: the group arrives with its @base64 grouping', async () => {
    await requireUp('pushgateway');
    const job = unique('mlops_test_readme');
    await run('push', replaceOnce(quickstart('push'), "'train_churn'", JSON.stringify(job)));
    const body = (await (await fetch(`${PUSHGATEWAY_URL}/api/v1/metrics`)).json()) as {
      data: Array<{ labels: Record<string, string>; [metric: string]: unknown }>;
    };
    const group = body.data.find((g) => g.labels.job === job);
    expect(group?.labels).toEqual({ job, dataset: 's3://lake/churn/2026-12', instance: '' });
    expect(group?.training_rows_processed).toMatchObject({ metrics: [{ value: '120000' }] });
    await new Pushgateway().delete({ job, groupings: { dataset: 's3://lake/churn/2026-12', instance: '' } });
  });

  it('watch drift: the snapshot the README shows', async () => {
    const { drift } = await run<{ drift: { snapshot(): FeatureDrift[] } }>(
      'drift',
      `${quickstart('drift')}\nexport { drift };\n`,
    );
    const [trips, city] = drift.snapshot();
    expect(trips).toMatchObject({
      feature: 'trips_today',
      observations: 2,
      missingRate: 0.5,
      outOfRangeRate: 1,
      ks: 1,
    });
    expect(city).toMatchObject({
      feature: 'city',
      observations: 2,
      missingRate: 0,
      outOfRangeRate: 0.5,
      ks: undefined,
    });
    expect([trips?.psi, city?.psi].map((psi) => psi?.toFixed(2))).toEqual(['8.71', '9.72']);
  });
});
