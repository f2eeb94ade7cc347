// The platform's basic-auth MLflow (`bash platform/bin/platform up mlflow-auth`, :5001): 401 without
// credentials, 403 for a user without the permission, the admin works; credentials appear nowhere.
import { inspect } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationError, MlflowClient, PermissionDeniedError } from '../src/index';
import { authAdmin, authTrackingUri, requireMlflow, unique } from './support/platform';

// The shared server is slow when the machine is loaded: real calls get a minute, not vitest's 5 s.
vi.setConfig({ testTimeout: 60_000 });

const CREDENTIAL_VARS = ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_TOKEN'];

function recordingLogger() {
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

/** Everything a user could print about a failure. */
function printed(error: unknown, client: MlflowClient, logLines: string[]): string {
  return [
    String(error),
    (error as Error).stack,
    JSON.stringify(error),
    inspect(error, { depth: 5 }),
    JSON.stringify(client),
    inspect(client, { depth: 5 }),
    ...logLines,
  ].join('\n');
}

const adminBasic = `Basic ${btoa(`${authAdmin.username}:${authAdmin.password}`)}`;
const userName = unique('user');
const userPassword = `pw-${Math.random().toString(36).slice(2)}-secret-1234`;

beforeAll(async () => {
  await requireMlflow(authTrackingUri, 'mlflow-auth');
  const created = await fetch(`${authTrackingUri}/api/2.0/mlflow/users/create`, {
    method: 'POST',
    headers: { authorization: adminBasic, 'content-type': 'application/json' },
    body: JSON.stringify({ username: userName, password: userPassword }),
  });
  expect(created.status).toBe(200);
}, 30_000);
afterEach(() => vi.unstubAllEnvs());

describe('basic auth', () => {
  it('without credentials: a 401 AuthenticationError naming the environment variables to set', async () => {
    for (const name of CREDENTIAL_VARS) vi.stubEnv(name, undefined);
    const client = new MlflowClient({ trackingUri: authTrackingUri });
    const error = await client.getExperimentByName('Default').catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 401, service: 'mlflow' });
    expect((error as Error).message).toContain(
      'MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)',
    );
    expect((error as Error).message).toContain('You are not authenticated');
  }, 60_000);

  it('a wrong password: 401, and the password is in no message, log line, JSON or inspect output', async () => {
    const logger = recordingLogger();
    const secret = 'wrong-password-a1b2c3d4e5';
    const client = new MlflowClient({
      trackingUri: authTrackingUri,
      username: authAdmin.username,
      password: secret,
      logger,
    });
    const error = await client
      .searchExperiments({ maxResults: 1 })
      .toArray()
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(error)).toBe(true);
    const text = printed(error, client, logger.lines);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(btoa(`${authAdmin.username}:${secret}`));
    expect(client.config.auth).toEqual({
      type: 'basic',
      username: authAdmin.username,
      password: '[REDACTED]',
    });
  }, 60_000);

  it('a user without permission: 403 PermissionDeniedError on a write; reads allowed (default_permission READ)', async () => {
    const admin = new MlflowClient({ trackingUri: authTrackingUri, ...authAdmin });
    const experimentId = await admin.createExperiment(unique('auth-owned'));
    const logger = recordingLogger();
    const user = new MlflowClient({
      trackingUri: authTrackingUri,
      username: userName,
      password: userPassword,
      logger,
    });
    expect((await user.getExperiment(experimentId)).experimentId).toBe(experimentId);
    const error = await user.setExperimentTag(experimentId, 'k', 'v').catch((e: unknown) => e);
    expect(PermissionDeniedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 403 });
    expect((error as Error).message).toContain('Permission denied');
    expect(printed(error, user, logger.lines)).not.toContain(userPassword);
  }, 60_000);

  it('the admin works: experiment, run, batch, read back; credentials from MLflow’s environment variables', async () => {
    vi.stubEnv('MLFLOW_TRACKING_USERNAME', authAdmin.username);
    vi.stubEnv('MLFLOW_TRACKING_PASSWORD', authAdmin.password);
    vi.stubEnv('MLFLOW_TRACKING_URI', authTrackingUri);
    const admin = new MlflowClient();
    const experimentId = await admin.createExperiment(unique('auth-admin'));
    const run = await admin.createRun(experimentId, { runName: 'secured' });
    await admin.logBatch(run.info.runId, { metrics: [{ key: 'm', value: 2 }], params: { p: 1 } });
    await admin.setTerminated(run.info.runId);
    const read = await admin.getRun(run.info.runId);
    expect(read.data).toMatchObject({ metrics: { m: 2 }, params: { p: '1' } });
    expect(read.info.status).toBe('FINISHED');
    expect(JSON.stringify(admin)).not.toContain(authAdmin.password);
  }, 60_000);
});
