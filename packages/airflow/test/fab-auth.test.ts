/**
 * AirflowClient against a real FAB auth manager: the platform's optional `airflow-fab` component, a second
 * api-server of the same Airflow 3.3.2 (same metadata DB and DAGs) configured with
 * `airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager` and its own JWT secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { AuthenticationError, type Logger, PermissionDeniedError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirflowClient, type AirflowClientOptions, problemDetails } from '../src/index';
import { shortLivedToken, tokenSwappingFetch } from './support/jwt';
import { root, unique } from './support/platform';
import { rejection } from './support/rejection';

const fabUrl = process.env.AIRFLOW_FAB_URL || 'http://127.0.0.1:8082';
const START = 'bash platform/bin/platform up airflow-fab';
const FAB_HOME = join(root, 'platform/.state/data/airflow-fab');

/** The FAB api-server's admin user (platform/versions.env: AIRFLOW_FAB_ADMIN_USER / _PASSWORD). */
function fabAdmin(): { username: string; password: string } {
  const env = readFileSync(join(root, 'platform/versions.env'), 'utf8');
  const read = (name: string) => {
    const value = new RegExp(`^${name}=(.+)$`, 'm').exec(env)?.[1]?.trim();
    if (!value) throw new Error(`no ${name} in platform/versions.env`);
    return value;
  };
  return { username: read('AIRFLOW_FAB_ADMIN_USER'), password: read('AIRFLOW_FAB_ADMIN_PASSWORD') };
}

/** The FAB api-server's `[api_auth] jwt_secret`, from the airflow.cfg the platform generated for it. */
function fabJwtSecret(): string {
  const cfg = readFileSync(join(FAB_HOME, 'airflow.cfg'), 'utf8');
  const secret = /^jwt_secret\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!secret) throw new Error(`no jwt_secret in ${FAB_HOME}/airflow.cfg. Start it with: ${START}`);
  return secret;
}

function fabClient(options: AirflowClientOptions = {}): AirflowClient {
  return new AirflowClient({ baseUrl: fabUrl, ...fabAdmin(), ...options });
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, fields }));
  };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

const viewer = { username: unique('mlops_test_fab_viewer'), password: `viewer-pw-${unique('x')}` };

beforeAll(async () => {
  let answer: Response;
  try {
    answer = await fetch(`${fabUrl}/api/v2/monitor/health`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(
      `Airflow with the FAB auth manager is not reachable at ${fabUrl} (${String(error)}). Start it with: ${START}`,
    );
  }
  if (!answer.ok)
    throw new Error(`Airflow (FAB) at ${fabUrl} answered ${answer.status}. Start it with: ${START}`);
  // A Viewer, created through FAB's own users API for this run (and deleted after it).
  const admin = fabClient();
  const token = await adminToken();
  const created = await fetch(`${fabUrl}/auth/fab/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      username: viewer.username,
      password: viewer.password,
      email: `${viewer.username}@example.invalid`,
      first_name: 'Mlops',
      last_name: 'Viewer',
      roles: [{ name: 'Viewer' }],
    }),
  });
  if (!created.ok)
    throw new Error(`creating a FAB Viewer answered ${created.status}: ${await created.text()}`);
  expect(admin.tokenLogins).toBe(0);
}, 60_000);

afterAll(async () => {
  const token = await adminToken();
  await fetch(`${fabUrl}/auth/fab/v1/users/${encodeURIComponent(viewer.username)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
});

async function adminToken(): Promise<string> {
  const answer = await fetch(`${fabUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fabAdmin()),
  });
  if (answer.status !== 201) throw new Error(`FAB /auth/token answered ${answer.status}`);
  return ((await answer.json()) as { access_token: string }).access_token;
}

describe('AirflowClient with the FAB auth manager (real Airflow 3.3.2 + apache-airflow-providers-fab)', () => {
  it('is served by the FAB auth manager, not the simple one', async () => {
    // FAB's own API exists only under the FAB manager; its tokens carry the FAB user's numeric id as `sub`.
    const token = await adminToken();
    const me = await fetch(`${fabUrl}/auth/fab/v1/users/${fabAdmin().username}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { roles: Array<{ name: string }> }).roles).toEqual([{ name: 'Admin' }]);
    const sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub;
    expect(sub).toMatch(/^\d+$/);
  });

  it('gets one JWT from FAB’s /auth/token (JSON form) and reuses it for every call', async () => {
    const fetch = tokenSwappingFetch([]);
    const client = fabClient({ fetch });
    expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example');
    await client.dags.get('always_fails');
    // Every page of the platform's DAGs, through the same token.
    const dags: string[] = [];
    for await (const dag of client.dags.list({ tags: ['platform'] })) dags.push(dag.dag_id);
    expect(dags).toContain('xcom_example');
    expect(dags).toContain('feature_pipeline');
    expect(fetch.logins).toBe(1);
    expect(client.tokenLogins).toBe(1);
    expect(fetch.requests.filter((r) => r === 'POST /auth/token')).toHaveLength(1);
  });

  it('logs in again before the token expires, by the injected clock', async () => {
    let offsetMs = 0;
    const fetch = tokenSwappingFetch([]);
    const client = fabClient({ fetch, now: () => Date.now() + offsetMs });
    await client.dags.get('xcom_example');
    offsetMs = 23 * 3600_000; // FAB's tokens live [api_auth] jwt_expiration_time = 24 h too
    await client.dags.get('xcom_example');
    expect(fetch.logins).toBe(1);
    offsetMs = 24 * 3600_000 - 30_000;
    await client.dags.get('xcom_example');
    expect(fetch.logins).toBe(2);
  });

  it('logs in again once when FAB answers 401 "Token Expired", and the call succeeds', async () => {
    const expired = shortLivedToken(-60, fabJwtSecret());
    const raw = await fetch(`${fabUrl}/api/v2/dags/xcom_example`, {
      headers: { authorization: `Bearer ${expired}` },
    });
    expect([raw.status, await raw.json()]).toEqual([401, { detail: 'Token Expired' }]);
    const fetchSpy = tokenSwappingFetch([expired]);
    const client = fabClient({ fetch: fetchSpy });
    expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example');
    expect(fetchSpy.requests).toEqual([
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
      'POST /auth/token',
      'GET /api/v2/dags/xcom_example',
    ]);
  });

  it('logs in again once on 403 "Invalid JWT token" (a token FAB cannot verify), and the call succeeds', async () => {
    // What a client holds after the api-server's JWT secret changed: a token signed with another secret. FAB
    // answers 403, not 401 (the simple auth manager too); a token of a user id FAB does not know is the same 403.
    for (const stale of [
      shortLivedToken(60, 'a-secret-this-server-never-had-0123456789'),
      shortLivedToken(60, fabJwtSecret()),
    ]) {
      const raw = await fetch(`${fabUrl}/api/v2/dags/xcom_example`, {
        headers: { authorization: `Bearer ${stale}` },
      });
      expect([raw.status, await raw.json()]).toEqual([403, { detail: 'Invalid JWT token' }]);
      const fetchSpy = tokenSwappingFetch([stale]);
      const client = fabClient({ fetch: fetchSpy });
      expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example');
      expect(fetchSpy.logins).toBe(2);
      expect(fetchSpy.requests).toHaveLength(4);
    }
  });

  it('a 403 that is a permission answer is raised at once, without logging in again', async () => {
    const fetchSpy = tokenSwappingFetch([]);
    const client = new AirflowClient({ baseUrl: fabUrl, ...viewer, fetch: fetchSpy });
    expect((await client.dags.get('xcom_example')).dag_id).toBe('xcom_example'); // a Viewer may read
    const denied = await rejection(
      client.dagRuns.trigger('xcom_example', { runId: unique('mlops_test_fab_denied') }),
    );
    expect(PermissionDeniedError.isInstance(denied)).toBe(true);
    expect(problemDetails(denied)?.detail).not.toBe('Invalid JWT token');
    expect(fetchSpy.logins).toBe(1);
    expect(fetchSpy.requests.filter((r) => r.startsWith('POST /api/v2'))).toHaveLength(1);
  });

  it('a wrong password is an AuthenticationError naming the user, with the password nowhere', async () => {
    const logger = recordingLogger();
    const password = `definitely-wrong-fab-pw-${unique('x')}`;
    const client = fabClient({ password, logger });
    const error = await rejection(client.dags.get('xcom_example'));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`user "${fabAdmin().username}"`);
    expect(error.message).toContain('AIRFLOW_PASSWORD');
    expect(problemDetails(error)?.detail).toBe('Invalid credentials');
    const printed = [
      error.message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      JSON.stringify(client),
      inspect(client, { depth: 10 }),
      JSON.stringify(client.config),
      inspect(client.config, { depth: 10 }),
      ...logger.lines,
    ].join('\n');
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(printed).not.toContain(password);
    expect(printed).not.toContain(fabAdmin().password);
  });

  it('triggers a run and waits for it, through FAB auth', async () => {
    const client = fabClient();
    const runId = unique('mlops_test_fab_run');
    const result = await client.dagRuns.triggerAndWait('xcom_example', {
      runId,
      conf: { n: 4 },
      timeout: 180_000,
    });
    expect(result.run.dag_run_id).toBe(runId);
    expect(result.run.state).toBe('success');
    expect(result.taskInstances.map((t) => [t.task_id, t.state]).sort()).toEqual([
      ['produce', 'success'],
      ['total', 'success'],
    ]);
    expect(result.xcoms.total).toBe(6);
    // Idempotent through FAB too: the same run id again is read back as the run we created.
    const again = await client.dagRuns.trigger('xcom_example', { runId, conf: { n: 4 } });
    expect(again.dag_run_id).toBe(runId);
    expect(client.tokenLogins).toBe(1);
  }, 200_000);
});
