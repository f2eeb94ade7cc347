import { inspect } from 'node:util';
import {
  AuthenticationError,
  ConflictError,
  DecodeError,
  InternalServerError,
  UnprocessableEntityError,
} from '@mlops/core';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AirflowClient,
  AirflowWaitTimeoutError,
  type DagRun,
  DagRunFailedError,
  problemDetails,
} from '../src/index';
import { BASE, dagRun, fakeJwt, taskInstance, useMswServer } from './support/msw';
import { rejection } from './support/rejection';

const server = useMswServer();
const RUNS = `${BASE}/api/v2/dags/d/dagRuns`;
const TI_BATCH = `${BASE}/api/v2/dags/~/dagRuns/~/taskInstances/list`;

function client(options: ConstructorParameters<typeof AirflowClient>[0] = {}) {
  return new AirflowClient({ baseUrl: BASE, username: 'admin', password: 'pw-behaviour', ...options });
}

function tokenEndpoint(counter: { logins: number }, seconds = 3600) {
  return http.post(`${BASE}/auth/token`, () => {
    counter.logins++;
    return HttpResponse.json({ access_token: fakeJwt(seconds, String(counter.logins)) }, { status: 201 });
  });
}

describe('authentication failures', () => {
  it('logs in once more on a 401, and gives up with AuthenticationError on a second one (no loop)', async () => {
    const counter = { logins: 0 };
    let calls = 0;
    server.use(
      tokenEndpoint(counter),
      http.get(`${BASE}/api/v2/dags/d`, () => {
        calls++;
        return HttpResponse.json({ detail: 'Token Expired' }, { status: 401 });
      }),
    );
    const error = await rejection(client().dags.get('d'));
    expect(AuthenticationError.isInstance(error)).toBe(true);
    expect([counter.logins, calls]).toEqual([2, 2]);
    expect(`${error.message} ${JSON.stringify(error)} ${inspect(error)}`).not.toContain('pw-behaviour');
  });

  it('logs requests, retries and the re-login without the password or any token', async () => {
    const counter = { logins: 0 };
    let calls = 0;
    server.use(
      tokenEndpoint(counter),
      http.get(`${BASE}/api/v2/dags/d`, () => {
        calls++;
        if (calls === 1) return HttpResponse.json({ detail: 'Token Expired' }, { status: 401 });
        if (calls === 2)
          return HttpResponse.json({ detail: 'busy' }, { status: 503, headers: { 'retry-after': '0' } });
        return HttpResponse.json({ dag_id: 'd' });
      }),
    );
    const lines: string[] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push(JSON.stringify({ level, message, fields }));
    const logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    await client({ logger }).dags.get('d');
    const log = lines.join('\n');
    expect(log).toContain('mlops.http.auth-refresh');
    expect(log).toContain('mlops.http.retry');
    expect(log).not.toContain('pw-behaviour');
    expect(log).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('shares one login between concurrent calls', async () => {
    const counter = { logins: 0 };
    server.use(
      tokenEndpoint(counter),
      http.get(`${BASE}/api/v2/version`, () => HttpResponse.json({ version: '3.3.2', git_version: null })),
    );
    const c = client();
    await Promise.all([c.monitor.version(), c.monitor.version(), c.monitor.version()]);
    expect(counter.logins).toBe(1);
  });

  it('a token endpoint answering garbage is a DecodeError, not a silent empty token', async () => {
    server.use(
      http.post(
        `${BASE}/auth/token`,
        () =>
          new HttpResponse('<html>proxy login</html>', {
            status: 201,
            headers: { 'content-type': 'application/json' },
          }),
      ),
    );
    expect(DecodeError.isInstance(await rejection(client().dags.get('d')))).toBe(true);
  });
});

describe('triggering', () => {
  it('retries a 503 and creates one run; a 409 after a lost answer reads the run back', async () => {
    const counter = { logins: 0 };
    const posted: unknown[] = [];
    let created: DagRun | undefined;
    server.use(
      tokenEndpoint(counter),
      http.post(RUNS, async ({ request }) => {
        const body = (await request.json()) as { dag_run_id: string; conf: Record<string, unknown> };
        posted.push(body);
        if (posted.length === 1)
          return HttpResponse.json({ detail: 'busy' }, { status: 503, headers: { 'retry-after': '0' } });
        if (created) return HttpResponse.json({ detail: 'exists' }, { status: 409 });
        created = dagRun({ dag_run_id: body.dag_run_id, conf: body.conf, state: 'queued' });
        // Created, but the answer is lost on the way back.
        return HttpResponse.json({ detail: 'bad gateway' }, { status: 502, headers: { 'retry-after': '0' } });
      }),
      http.get(`${RUNS}/:runId`, ({ params }) =>
        created && params.runId === created.dag_run_id
          ? HttpResponse.json(created)
          : HttpResponse.json({ detail: 'nope' }, { status: 404 }),
      ),
    );
    const run = await client({ now: () => Date.parse('2026-03-01T10:00:00Z') }).dagRuns.trigger('d', {
      conf: { n: 1 },
    });
    expect(posted.length).toBe(3);
    // The same client-generated run id on every attempt, with logical_date null (required by Airflow).
    const ids = new Set(posted.map((b) => (b as { dag_run_id: string }).dag_run_id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^mlops__2026-03-01T10:00:00\.000Z_[0-9a-z]{12}$/);
    expect(posted[0]).toMatchObject({ logical_date: null, conf: { n: 1 } });
    expect(run.dag_run_id).toBe([...ids][0]);
  });

  it('a 409 for a run with another conf stays a ConflictError', async () => {
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.post(RUNS, () => HttpResponse.json({ detail: 'DAG run already exists' }, { status: 409 })),
      http.get(`${RUNS}/mine`, () =>
        HttpResponse.json(dagRun({ dag_run_id: 'mine', conf: { other: true } })),
      ),
    );
    const error = await rejection(client().dagRuns.trigger('d', { runId: 'mine', conf: { n: 1 } }));
    expect(ConflictError.isInstance(error)).toBe(true);
    expect(problemDetails(error)?.detail).toBe('DAG run already exists');
  });

  it("keeps a 422's validation errors with their loc", async () => {
    const detail = [
      { type: 'extra_forbidden', loc: ['body', 'confx'], msg: 'Extra inputs are not permitted', input: 1 },
    ];
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.post(RUNS, () => HttpResponse.json({ detail }, { status: 422 })),
    );
    const error = await rejection(client().dagRuns.trigger('d'));
    expect(UnprocessableEntityError.isInstance(error)).toBe(true);
    expect(problemDetails(error)).toEqual({
      status: 422,
      detail: 'body.confx: Extra inputs are not permitted',
      validationErrors: [
        { loc: ['body', 'confx'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: 1 },
      ],
    });
    expect(problemDetails(new Error('x'))).toBeUndefined();
  });
});

describe('waiting', () => {
  it('polls with a growing interval up to its cap, rides out a 5xx, and returns the final run', async () => {
    const seen: number[] = [];
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r`, () => {
        seen.push(Date.now());
        if (seen.length === 3)
          return HttpResponse.json({ detail: 'db hiccup' }, { status: 500, headers: { 'retry-after': '0' } });
        return HttpResponse.json(dagRun({ state: seen.length >= 8 ? 'success' : 'running' }));
      }),
    );
    const run = await client().dagRuns.wait(
      { dagId: 'd', runId: 'r' },
      { initialIntervalMs: 20, maxIntervalMs: 60 },
    );
    expect(run.state).toBe('success');
    expect(seen.length).toBe(8);
    const gaps = seen.slice(1).map((t, i) => t - (seen[i] ?? t));
    // Backoff 20 → 30 → 45 → 60 (cap) → 60 ... (the retried 500 adds an immediate request).
    expect(Math.max(...gaps)).toBeLessThan(60 + 40);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(55);
  });

  it('does not ask again about a run it was just handed by trigger, before the first interval', async () => {
    const seen: number[] = [];
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r`, () => {
        seen.push(Date.now());
        return HttpResponse.json(dagRun({ state: 'success' }));
      }),
    );
    const started = Date.now();
    await client().dagRuns.wait(dagRun({ state: 'queued' }), { initialIntervalMs: 80 });
    expect(seen.length).toBe(1);
    expect((seen[0] ?? 0) - started).toBeGreaterThanOrEqual(75);
  });

  it('reports task state changes only when they change', async () => {
    let polls = 0;
    const states = [['queued'], ['running'], ['running'], ['success']];
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r`, () => {
        polls++;
        return HttpResponse.json(dagRun({ state: polls >= 4 ? 'success' : 'running' }));
      }),
      http.post(TI_BATCH, () =>
        HttpResponse.json({
          task_instances: [taskInstance({ state: states[polls - 1]?.[0] })],
          total_entries: 1,
          next_cursor: null,
        }),
      ),
    );
    const changes: string[] = [];
    await client().dagRuns.wait(
      { dagId: 'd', runId: 'r' },
      {
        initialIntervalMs: 5,
        maxIntervalMs: 5,
        onProgress: (p) => changes.push(...p.changes.map((c) => `${c.taskId}:${c.from}->${c.to}`)),
      },
    );
    expect(changes).toEqual(['t:undefined->queued', 't:queued->running', 't:running->success']);
  });

  it('times out with AirflowWaitTimeoutError carrying the last state, by the injected clock', async () => {
    let now = 0;
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r`, () => {
        now += 10_000;
        return HttpResponse.json(dagRun({ state: 'queued' }));
      }),
    );
    const error = await rejection(
      client({ now: () => now }).dagRuns.wait(
        { dagId: 'd', runId: 'r' },
        { timeout: 25_000, initialIntervalMs: 1 },
      ),
    );
    expect(AirflowWaitTimeoutError.isInstance(error)).toBe(true);
    expect((error as AirflowWaitTimeoutError).lastSeen).toBe('queued');
    expect(error.message).toContain('was still queued after 25000 ms');
  });

  it('raises DagRunFailedError even when the failed task log cannot be read', async () => {
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r`, () => HttpResponse.json(dagRun({ state: 'failed' }))),
      http.post(TI_BATCH, () =>
        HttpResponse.json({
          task_instances: [taskInstance({ task_id: 'load', try_number: 3 })],
          total_entries: 1,
          next_cursor: null,
        }),
      ),
      http.get(`${RUNS}/r/taskInstances/load/logs/3`, () =>
        HttpResponse.json({ detail: 'log store down' }, { status: 500, headers: { 'retry-after': '0' } }),
      ),
    );
    const error = await rejection(client().dagRuns.wait({ dagId: 'd', runId: 'r' }));
    expect(DagRunFailedError.isInstance(error)).toBe(true);
    expect((error as DagRunFailedError).failedTasks).toEqual([
      { taskId: 'load', mapIndex: -1, tryNumber: 3, state: 'failed', logTail: [] },
    ]);
    expect(error.message).toBe(
      'DAG run d/r failed: load (try 3, failed). See failedTasks[].logTail, or the logs with client.taskInstances.logs(...).',
    );
  });

  it('a run state that is not JSON is a DecodeError', async () => {
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(
        `${RUNS}/r`,
        () => new HttpResponse('{"state": "runn', { headers: { 'content-type': 'application/json' } }),
      ),
    );
    expect(DecodeError.isInstance(await rejection(client().dagRuns.wait({ dagId: 'd', runId: 'r' })))).toBe(
      true,
    );
  });
});

describe('logs', () => {
  it('follows continuation tokens and turns plain-text lines into events', async () => {
    const tokens: Array<string | null> = [];
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r/taskInstances/t/logs/2`, ({ request }) => {
        const token = new URL(request.url).searchParams.get('token');
        tokens.push(token);
        if (token === null)
          return HttpResponse.json({
            content: [{ event: 'one', level: 'info', timestamp: '2026-01-01T00:00:00Z' }],
            continuation_token: 'A',
          });
        if (token === 'A') return HttpResponse.json({ content: ['two', 'three'], continuation_token: 'B' });
        return HttpResponse.json({ content: [], continuation_token: 'B' });
      }),
    );
    const events: string[] = [];
    for await (const line of client().taskInstances.logs('d', 'r', 't', { tryNumber: 2 }))
      events.push(line.event);
    expect(events).toEqual(['one', 'two', 'three']);
    expect(tokens).toEqual([null, 'A', 'B']);
  });

  it('a log endpoint failing mid-way ends the iteration with the error, not a silently short log', async () => {
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${RUNS}/r/taskInstances/t/logs/1`, ({ request }) =>
        new URL(request.url).searchParams.get('token')
          ? HttpResponse.json({ detail: 'Bad Signature' }, { status: 400 })
          : HttpResponse.json({ content: ['first'], continuation_token: 'T' }),
      ),
    );
    const events: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const line of client().taskInstances.logs('d', 'r', 't', { tryNumber: 1 }))
          events.push(line.event);
      })(),
    );
    expect(events).toEqual(['first']);
    expect(problemDetails(error)?.detail).toBe('Bad Signature');
  });
});

describe('connections', () => {
  it('an error about a connection call never carries its password or extra', async () => {
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.post(`${BASE}/api/v2/connections`, async ({ request }) => {
        const input = await request.json();
        return HttpResponse.json(
          { detail: [{ type: 'value_error', loc: ['body', 'port'], msg: 'bad port', input }] },
          { status: 422 },
        );
      }),
    );
    const error = await rejection(
      client().connections.create({
        connection_id: 'c',
        conn_type: 'http',
        password: 'hunter2-secret',
        extra: '{"token": "xyz-secret"}',
      }),
    );
    expect(UnprocessableEntityError.isInstance(error)).toBe(true);
    const printed = `${error.message} ${JSON.stringify(error)} ${inspect(error)}`;
    expect(printed).not.toContain('hunter2-secret');
    expect(printed).not.toContain('xyz-secret');
    expect(problemDetails(error)?.validationErrors[0]?.loc).toEqual(['body', 'port']);
  });

  it('a 5xx on a list is retried, then raised as InternalServerError', async () => {
    let calls = 0;
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${BASE}/api/v2/connections`, () => {
        calls++;
        return HttpResponse.json({ detail: 'down' }, { status: 503, headers: { 'retry-after': '0' } });
      }),
    );
    expect(
      InternalServerError.isInstance(await rejection(client({ maxRetries: 1 }).connections.list().toArray())),
    ).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('deploying', () => {
  it('does not take a stale DAG (its file removed) for the deployed one', async () => {
    let polls = 0;
    server.use(
      tokenEndpoint({ logins: 0 }),
      http.get(`${BASE}/api/v2/dags/d`, () => {
        polls++;
        return HttpResponse.json({
          dag_id: 'd',
          is_stale: polls < 3,
          relative_fileloc: 'd.py',
          file_token: 't',
        });
      }),
      http.get(`${BASE}/api/v2/dags/d/dagVersions`, () =>
        HttpResponse.json({
          dag_versions: [{ dag_id: 'd', version_number: 4, bundle_version: 'abc' }],
          total_entries: 1,
        }),
      ),
      http.get(`${BASE}/api/v2/importErrors`, () =>
        HttpResponse.json({ import_errors: [], total_entries: 0 }),
      ),
    );
    const version = await client().dags.waitForDagVersion('d', { bundleVersion: 'abc', pollIntervalMs: 5 });
    expect(version.version_number).toBe(4);
    expect(polls).toBe(3);
  });
});
