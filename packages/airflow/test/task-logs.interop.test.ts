import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagRun, LogLine } from '../src/index';
import { deployTempDag, tickingDagSource } from './support/dags';
import { platformClient, requireAirflow, unique } from './support/platform';
import { pythonReference } from './support/python';

const client = platformClient();
let ticking: Awaited<ReturnType<typeof deployTempDag>>;

beforeAll(async () => {
  await requireAirflow();
  ticking = await deployTempDag(client, 'logs', (dagId) => tickingDagSource(dagId, 8));
}, 180_000);
afterAll(() => ticking?.remove());

const ticks = (lines: LogLine[]) => lines.map((l) => l.event).filter((e) => /^tick \d+$/.test(e));

describe('task instances and logs on the real Airflow', () => {
  it('follows a running task to its end, every line once, in order, structured', async () => {
    const run = await client.dagRuns.trigger(ticking.dagId, { runId: unique('mlops_test_follow') });
    // Start following as soon as the task runs.
    for (;;) {
      const ti = await client.taskInstances.get(ticking.dagId, run.dag_run_id, 'tick');
      if (ti.state === 'running' || ti.state === 'success') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const lines: LogLine[] = [];
    for await (const line of client.taskInstances.logs(ticking.dagId, run.dag_run_id, 'tick', {
      follow: true,
      pollIntervalMs: 500,
    })) {
      lines.push(line);
    }
    expect(ticks(lines)).toEqual([
      'tick 0',
      'tick 1',
      'tick 2',
      'tick 3',
      'tick 4',
      'tick 5',
      'tick 6',
      'tick 7',
    ]);
    // Structured: the print lines carry Airflow 3's timestamp and level.
    const tick = lines.find((l) => l.event === 'tick 0');
    expect(tick?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(tick?.level).toBe('info');
    // The iterator ended because the task did.
    const ti = await client.taskInstances.get(ticking.dagId, run.dag_run_id, 'tick');
    expect(ti.state).toBe('success');
    // Read again without follow: the same lines.
    const again: LogLine[] = [];
    for await (const line of client.taskInstances.logs(ticking.dagId, run.dag_run_id, 'tick', {
      tryNumber: 1,
    }))
      again.push(line);
    expect(ticks(again)).toEqual(ticks(lines));
    // The task instances of the run, as the Python client lists them.
    const listed = await client.taskInstances.list(ticking.dagId, run.dag_run_id).toArray();
    expect(listed.map((t) => [t.task_id, t.map_index, t.state, t.try_number])).toEqual(
      pythonReference('task_instances', { dagId: ticking.dagId, runId: run.dag_run_id }),
    );
    const xcom = await client.xcoms.get(ticking.dagId, run.dag_run_id, 'tick');
    expect(xcom.value).toEqual({ ticks: 8 });
    expect(
      pythonReference('xcom', {
        dagId: ticking.dagId,
        runId: run.dag_run_id,
        taskId: 'tick',
        key: 'return_value',
      }),
    ).toEqual({ ticks: 8 });
  }, 180_000);

  it('lists task instances across runs, the same in pages of 2 as in one page', async () => {
    const runs: DagRun[] = [];
    for (let i = 0; i < 3; i++)
      runs.push(await client.dagRuns.trigger(ticking.dagId, { runId: unique(`mlops_test_pages${i}`) }));
    // Finished runs: no task instance appears between the two listings.
    await Promise.all(runs.map((run) => client.dagRuns.wait(run, { timeout: 120_000 })));
    const all = await client.taskInstances.list(ticking.dagId, '~').toArray();
    const paged = await client.taskInstances.list(ticking.dagId, '~', {}, { pageSize: 2 }).toArray();
    expect(paged.map((t) => t.id)).toEqual(all.map((t) => t.id));
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    const ours = all.filter((t) => runs.some((r) => r.dag_run_id === t.dag_run_id));
    expect(ours.map((t) => [t.task_id, t.state]).sort()).toEqual([
      ['tick', 'success'],
      ['tick', 'success'],
      ['tick', 'success'],
    ]);
    const successOnly = await client.taskInstances.list(ticking.dagId, '~', { state: ['success'] }).toArray();
    expect(successOnly.every((t) => t.state === 'success')).toBe(true);
  }, 180_000);
});
