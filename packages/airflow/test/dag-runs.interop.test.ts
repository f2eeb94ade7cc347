import { AbortError, ConflictError, NotFoundError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AirflowWaitTimeoutError, DagRunFailedError, type TaskStateChange } from '../src/index';
import { deployTempDag, tickingDagSource } from './support/dags';
import { shortLivedToken, tokenSwappingFetch } from './support/jwt';
import { platformClient, requireAirflow, unique } from './support/platform';
import { pythonReference } from './support/python';
import { rejection } from './support/rejection';

const client = platformClient();
let ticking: Awaited<ReturnType<typeof deployTempDag>>;

beforeAll(async () => {
  await requireAirflow();
  ticking = await deployTempDag(client, 'ticking', (dagId) => tickingDagSource(dagId, 14));
}, 180_000);
afterAll(() => ticking?.remove());

describe('DAG runs on the real Airflow', () => {
  it('triggers the feature pipeline and waits for success, reporting task states, with its XComs and logs', async () => {
    const changes: TaskStateChange[] = [];
    const result = await client.dagRuns.triggerAndWait('feature_pipeline', {
      runId: unique('mlops_test_feature'),
      note: 'from @mlops/airflow tests',
      onProgress: (progress) => changes.push(...progress.changes),
      timeout: 240_000,
    });
    expect(result.run.state).toBe('success');
    expect(result.run.note).toBe('from @mlops/airflow tests');
    expect(result.taskInstances.map((t) => [t.task_id, t.state]).sort()).toEqual([
      ['materialize', 'success'],
      ['write_offline_features', 'success'],
    ]);
    // Every task was seen reaching success, after having been seen in an earlier state or not at all.
    for (const task of ['write_offline_features', 'materialize']) {
      expect(changes.filter((c) => c.taskId === task).at(-1)?.to).toBe('success');
    }
    // The leaf (materialize, a BashOperator) pushes its last line of output; the first task returned a dict.
    expect(Object.keys(result.xcoms)).toEqual(['materialize']);
    expect(typeof result.xcoms.materialize).toBe('string');
    const written = await client.xcoms.get<{ rows: number; driver_ids: number[] }>(
      'feature_pipeline',
      result.run.dag_run_id,
      'write_offline_features',
    );
    expect(written.value.rows).toBe(3);
    expect(written.value.driver_ids).toEqual([2001, 2002, 2003]);
    const lines: string[] = [];
    for await (const line of client.taskInstances.logs(
      'feature_pipeline',
      result.run.dag_run_id,
      'materialize',
    )) {
      lines.push(line.event);
    }
    expect(lines.some((l) => l.includes('driver_hourly_stats'))).toBe(true);
  }, 300_000);

  it('raises DagRunFailedError naming the failed task, its try and the tail of its log', async () => {
    const error = await rejection(
      client.dagRuns.triggerAndWait('always_fails', { runId: unique('mlops_test_fails') }),
    );
    expect(DagRunFailedError.isInstance(error)).toBe(true);
    const failed = error as DagRunFailedError;
    expect(failed.dagId).toBe('always_fails');
    expect(failed.run.state).toBe('failed');
    expect(failed.failedTasks.map((t) => [t.taskId, t.tryNumber, t.state])).toEqual([['fail', 1, 'failed']]);
    const tail = failed.failedTasks[0]?.logTail.join('\n') ?? '';
    expect(tail).toContain('RuntimeError: this task fails on purpose');
    expect(failed.message).toContain(`DAG run always_fails/${failed.runId} failed: fail (try 1, failed)`);
    // throwOnFailure: false resolves with the failed run instead.
    const run = await client.dagRuns.wait(failed.run, { throwOnFailure: false });
    expect(run.state).toBe('failed');
  }, 180_000);

  it('never creates two runs when a trigger is retried after its answer was lost', async () => {
    let dropped = 0;
    const lossy: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      if (request.method === 'POST' && request.url.endsWith('/dagRuns') && dropped === 0) {
        dropped++;
        // The run was created; the client only sees a gateway error, and retries.
        return new Response('upstream went away', { status: 502 });
      }
      return response;
    };
    const lossyClient = platformClient({ fetch: lossy });
    const runId = unique('mlops_test_retry');
    const run = await lossyClient.dagRuns.trigger('xcom_example', { runId, conf: { n: 3 } });
    expect(dropped).toBe(1);
    expect(run.dag_run_id).toBe(runId);
    expect(run.conf).toEqual({ n: 3 });
    // The caller retrying too (a CI job re-run) gets the same run back.
    expect((await client.dagRuns.trigger('xcom_example', { runId, conf: { n: 3 } })).dag_run_id).toBe(runId);
    const runs = await client.dagRuns.list('xcom_example', { run_id_pattern: runId }).toArray();
    expect(runs.map((r) => r.dag_run_id)).toEqual([runId]);
    // Someone else's run under that id (another conf) stays a conflict.
    const conflict = await rejection(client.dagRuns.trigger('xcom_example', { runId, conf: { n: 4 } }));
    expect(ConflictError.isInstance(conflict)).toBe(true);
    const done = await client.dagRuns.wait(run);
    expect(done.state).toBe('success');
    expect(pythonReference('dag_run', { dagId: 'xcom_example', runId })).toEqual({
      state: done.state,
      conf: done.conf,
      run_type: done.run_type,
    });
  }, 120_000);

  it('lists runs with filters, clears, sets state and deletes', async () => {
    const prefix = unique('mlops_test_list');
    const a = await client.dagRuns.trigger('xcom_example', { runId: `${prefix}_a`, conf: { n: 2 } });
    const b = await client.dagRuns.trigger('xcom_example', { runId: `${prefix}_b`, conf: { n: 3 } });
    const listed = await client.dagRuns
      .list('xcom_example', { run_id_pattern: prefix, order_by: ['run_after'] })
      .toArray();
    expect(listed.map((r) => r.dag_run_id)).toEqual([`${prefix}_a`, `${prefix}_b`]);
    const [doneA, doneB] = await Promise.all([client.dagRuns.wait(a), client.dagRuns.wait(b)]);
    expect([doneA.state, doneB.state]).toEqual(['success', 'success']);
    const everyDag = await client.dagRuns.list('~', { run_id_pattern: prefix, state: ['success'] }).toArray();
    expect(everyDag.length).toBe(2);

    const cleared = await client.dagRuns.clear(a);
    expect(['queued', 'running']).toContain(cleared.state);
    expect((await client.dagRuns.wait(a)).state).toBe('success');

    const marked = await client.dagRuns.setState(b, 'failed');
    expect(marked.state).toBe('failed');
    await client.dagRuns.delete(b);
    expect(NotFoundError.isInstance(await rejection(client.dagRuns.get(b)))).toBe(true);
    await client.dagRuns.delete(b); // already gone: not an error
  }, 180_000);

  it('survives the token expiring in the middle of a wait', async () => {
    // The first login hands out a real token that expires in 6 s; the run takes ~14 s.
    const fetch = tokenSwappingFetch([shortLivedToken(6)]);
    const shortLived = platformClient({ fetch });
    const run = await shortLived.dagRuns.trigger(ticking.dagId, { runId: unique('mlops_test_expiry') });
    const done = await shortLived.dagRuns.wait(run, { maxIntervalMs: 1000 });
    expect(done.state).toBe('success');
    expect(fetch.logins).toBeGreaterThanOrEqual(2);
    expect(fetch.requests.filter((r) => r === 'POST /auth/token').length).toBe(fetch.logins);
  }, 120_000);

  it('gives up at the timeout with AirflowWaitTimeoutError, and stops at once when aborted', async () => {
    const run = await client.dagRuns.trigger(ticking.dagId, { runId: unique('mlops_test_timeout') });
    const timedOut = await rejection(client.dagRuns.wait(run, { timeout: 1500 }));
    expect(AirflowWaitTimeoutError.isInstance(timedOut)).toBe(true);
    expect((timedOut as AirflowWaitTimeoutError).lastSeen).toMatch(/^(queued|running)$/);
    const controller = new AbortController();
    const waiting = client.dagRuns.wait(run, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 300);
    const started = Date.now();
    expect(AbortError.isInstance(await rejection(waiting))).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    await client.dagRuns.setState(run, 'failed');
  }, 60_000);
});
