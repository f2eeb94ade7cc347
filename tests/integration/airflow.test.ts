import { AuthenticationError, createHttpClient } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import type { paths as AirflowApi } from '../../packages/airflow/src/generated/api-v2';
import type { paths as SimpleAuth } from '../../packages/airflow/src/generated/simple-auth';
import { needs, pins, schemaValidator, url } from './support/platform';

const auth = createHttpClient<SimpleAuth>({ service: 'airflow', baseUrl: url('AIRFLOW_PORT') });
const login = (username: string, password: string) =>
  auth.post('/auth/token', { body: { username, password } });
const airflow = createHttpClient<AirflowApi>({
  service: 'airflow',
  baseUrl: url('AIRFLOW_PORT'),
  auth: {
    type: 'bearer',
    token: async () => (await login(pins.AIRFLOW_ADMIN_USER!, pins.AIRFLOW_ADMIN_PASSWORD!)).access_token,
  },
});
const valid = schemaValidator('airflow-api-v2.json');

describe('Airflow', () => {
  it('logs in with the fixed test credentials and refuses wrong ones', async () => {
    const { access_token } = await needs('airflow', () =>
      login(pins.AIRFLOW_ADMIN_USER!, pins.AIRFLOW_ADMIN_PASSWORD!),
    );
    expect(access_token.split('.')).toHaveLength(3);
    await expect(login(pins.AIRFLOW_ADMIN_USER!, 'wrong')).rejects.toSatisfy((e) =>
      AuthenticationError.isInstance(e),
    );
  });

  it('lists our DAGs, unpaused, in the shape its captured schema describes', async () => {
    const dags = await needs('airflow', () =>
      airflow.get('/api/v2/dags', { params: { query: { limit: 100 } } }),
    );
    expect(valid('DAGCollectionResponse', dags)).toEqual([]);
    const ids = dags.dags.map((d) => d.dag_id).sort();
    expect(ids).toEqual(['always_fails', 'feature_pipeline', 'train_on_fresh_features', 'xcom_example']);
    expect(dags.dags.every((d) => d.is_paused === false)).toBe(true);
  });

  it('runs the pinned version', async () => {
    const version = await needs('airflow', () => airflow.get('/api/v2/version'));
    expect(version.version).toBe(pins.AIRFLOW_VERSION);
  });
});
