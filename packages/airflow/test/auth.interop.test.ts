import { inspect } from 'node:util';
import { AuthenticationError, PermissionDeniedError } from '@mlops/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AirflowClient, problemDetails } from '../src/index';
import { shortLivedToken, tokenSwappingFetch } from './support/jwt';
import { baseUrl, platformClient, requireAirflow } from './support/platform';
import { rejection } from './support/rejection';

beforeAll(requireAirflow);

describe('authentication against the real Airflow', () => {
  it('gets one JWT from /auth/token and reuses it for every call', async () => {
    const fetch = tokenSwappingFetch([]);
    const client = platformClient({ fetch });
    await client.dags.get('xcom_example');
    await client.dags.get('always_fails');
    await client.dags.list({ tags: ['platform'] }).toArray();
    expect(fetch.logins).toBe(1);
    expect(client.tokenLogins).toBe(1);
  });

  it('logs in again before the token expires, by the injected clock, without waiting for a 401', async () => {
    let offsetMs = 0;
    const fetch = tokenSwappingFetch([]);
    const client = platformClient({ fetch, now: () => Date.now() + offsetMs });
    await client.dags.get('xcom_example');
    offsetMs = 23 * 3600_000; // the platform's tokens live 24 h: an hour before exp it is still used
    await client.dags.get('xcom_example');
    expect(fetch.logins).toBe(1);
    offsetMs = 24 * 3600_000 - 30_000; // within the last minute before exp: renewed
    await client.dags.get('xcom_example');
    expect(fetch.logins).toBe(2);
    expect(fetch.requests.filter((r) => r.startsWith('GET')).length).toBe(3);
  });

  it('logs in again once when Airflow answers 401, and the call succeeds', async () => {
    // A token that expired a minute ago: Airflow answers 401 "Token Expired".
    const fetch = tokenSwappingFetch([shortLivedToken(-60)]);
    const client = platformClient({ fetch });
    const dag = await client.dags.get('xcom_example');
    expect(dag.dag_id).toBe('xcom_example');
    expect(fetch.logins).toBe(2);
    expect(fetch.requests).toEqual([
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
    ]);
  });

  it('logs in again once when Airflow answers 403 "Invalid JWT token" (a token signed with another secret)', async () => {
    // What a client holds after an api-server restarted with a new JWT secret; 3.3.2 answers 403, not 401.
    const fetch = tokenSwappingFetch([shortLivedToken(60, 'a-secret-this-server-never-had-0123456789')]);
    const client = platformClient({ fetch });
    expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example');
    expect(fetch.requests).toEqual([
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
    ]);
  });

  it('uses a static token as it is (AIRFLOW_CLI_TOKEN style), and a rejected one is an AuthenticationError', async () => {
    const client = new AirflowClient({ baseUrl, token: shortLivedToken(60) });
    expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example');
    expect(client.tokenLogins).toBe(0);
    const expired = new AirflowClient({ baseUrl, token: shortLivedToken(-60) });
    const error = await rejection(expired.dags.get('xcom_example'));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(problemDetails(error)?.detail).toBe('Token Expired');
    // A token Airflow cannot verify (another secret) is a 403 in 3.3.2, not a 401.
    const forged = new AirflowClient({
      baseUrl,
      token: shortLivedToken(60, 'wrong-secret-wrong-secret-wrong-secret'),
    });
    const denied = await rejection(forged.dags.get('xcom_example'));
    expect(PermissionDeniedError.isInstance(denied)).toBe(true);
    expect(problemDetails(denied)).toEqual({
      status: 403,
      detail: 'Invalid JWT token',
      validationErrors: [],
    });
  });

  it('says which user was rejected, and never prints the password', async () => {
    const client = platformClient({ password: 'definitely-wrong-pw' });
    const error = await rejection(client.dags.get('xcom_example'));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain('user "admin"');
    expect(error.message).toContain('AIRFLOW_PASSWORD');
    const printed = [
      error.message,
      JSON.stringify(error),
      inspect(error),
      JSON.stringify(client),
      inspect(client.config),
      JSON.stringify(client.config),
    ].join('\n');
    expect(printed).not.toContain('definitely-wrong-pw');
    const tokenClient = new AirflowClient({ baseUrl, token: 'secret-token-value-123' });
    expect(
      `${JSON.stringify(tokenClient.config)} ${inspect(tokenClient.config)} ${inspect(tokenClient)}`,
    ).not.toContain('secret-token-value-123');
  });
});
