// A typed, retrying, deadline-bound client for any OpenAPI service with @mlops/core: here Airflow's /api/v2,
// with a token fetched from /auth/token and refreshed on 401. Run: pnpm --filter @mlops/examples retrying-client
import { fileURLToPath } from 'node:url';
import { createHttpClient } from '@mlops/core';
import type { paths } from '../../packages/airflow/src/generated/api-v2';
import type { paths as AuthPaths } from '../../packages/airflow/src/generated/simple-auth';

export async function main(baseUrl = 'http://127.0.0.1:8080'): Promise<string[]> {
  const auth = createHttpClient<AuthPaths>({ service: 'airflow', baseUrl });
  const airflow = createHttpClient<paths>({
    service: 'airflow',
    baseUrl,
    auth: {
      type: 'bearer',
      // Asked once per call; asked again with forceRefresh after a 401, and the call replayed.
      token: async () =>
        (await auth.post('/auth/token', { body: { username: 'admin', password: 'admin' } })).access_token,
    },
    retry: { maxRetries: 3 },
    attemptTimeoutMs: 5_000,
    timeoutMs: 20_000,
  });
  const { dags, total_entries } = await airflow.get('/api/v2/dags', { params: { query: { limit: 50 } } });
  console.log(
    `${total_entries} DAGs:`,
    dags.map((d) => `${d.dag_id}${d.is_paused ? ' (paused)' : ''}`).join(', '),
  );
  return dags.map((d) => d.dag_id);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
