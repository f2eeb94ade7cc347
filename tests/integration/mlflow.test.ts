import { createHttpClient } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { needs, pins, url } from './support/platform';

const mlflow = createHttpClient({ service: 'mlflow', baseUrl: url('MLFLOW_PORT') });

describe('MLflow', () => {
  it('is healthy and runs the pinned version', async () => {
    const health = await needs('mlflow', () => mlflow.fetch('/health'));
    expect(await health.text()).toBe('OK');
    expect(await (await mlflow.fetch('/version')).text()).toBe(pins.MLFLOW_VERSION);
  });

  it('creates and reads back an experiment through the REST API', async () => {
    const name = `it-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const created = await needs('mlflow', () =>
      mlflow.fetch('/api/2.0/mlflow/experiments/create', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      }),
    );
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const got = await mlflow.fetch(`/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
    const { experiment } = (await got.json()) as { experiment: { name: string; lifecycle_stage: string } };
    expect(experiment).toMatchObject({ name, lifecycle_stage: 'active' });
  });
});
