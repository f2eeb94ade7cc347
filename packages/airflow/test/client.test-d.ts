import { describe, expectTypeOf, it } from 'vitest';
import type { components } from '../src/generated/api-v2';
import {
  AirflowClient,
  type Dag,
  type DagRun,
  type DagRunFailedError,
  type DagVersion,
  type LogLine,
  type RunResult,
  type TaskInstance,
  type XComValue,
} from '../src/index';

type S = components['schemas'];
const client = new AirflowClient();

describe('AirflowClient speaks the generated 3.3.2 types', () => {
  it('returns the spec response types', () => {
    expectTypeOf(client.dags.get('d')).resolves.toEqualTypeOf<S['DAGResponse']>();
    expectTypeOf(client.dags.details('d')).resolves.toEqualTypeOf<S['DAGDetailsResponse']>();
    expectTypeOf(client.dagRuns.trigger('d')).resolves.toEqualTypeOf<S['DAGRunResponse']>();
    expectTypeOf(client.dagRuns.get({ dagId: 'd', runId: 'r' })).resolves.toEqualTypeOf<DagRun>();
    expectTypeOf(client.dagRuns.triggerAndWait('d')).resolves.toEqualTypeOf<RunResult>();
    expectTypeOf(client.taskInstances.get('d', 'r', 't')).resolves.toEqualTypeOf<S['TaskInstanceResponse']>();
    expectTypeOf(
      client.dags.waitForDagVersion('d', { sourceHash: 'x' }),
    ).resolves.toEqualTypeOf<DagVersion>();
    expectTypeOf(client.xcoms.get<{ rows: number }>('d', 'r', 't')).resolves.toEqualTypeOf<
      XComValue<{ rows: number }>
    >();
    expectTypeOf(client.monitor.version()).resolves.toEqualTypeOf<S['VersionInfo']>();
  });

  it('lists are async iterables of the items', () => {
    expectTypeOf(client.dags.list()).toMatchTypeOf<AsyncIterable<Dag>>();
    expectTypeOf(client.dagRuns.list('~')).toMatchTypeOf<AsyncIterable<DagRun>>();
    expectTypeOf(client.taskInstances.list('d', '~')).toMatchTypeOf<AsyncIterable<TaskInstance>>();
    expectTypeOf(client.taskInstances.logs('d', 'r', 't', { follow: true })).toMatchTypeOf<
      AsyncIterable<LogLine>
    >();
  });

  it('types filters from the spec query parameters, and refuses unknown ones', () => {
    client.dags.list({ tags: ['platform'], paused: false });
    client.dagRuns.list('d', { state: ['success'], run_id_pattern: 'x' });
    // @ts-expect-error: get_dags has no such filter
    client.dags.list({ colour: 'red' });
    // @ts-expect-error: paging is the iterator's business
    client.dags.list({ limit: 5 });
    // @ts-expect-error: a run state Airflow cannot be set to
    client.dagRuns.setState({ dagId: 'd', runId: 'r' }, 'running');
    // @ts-expect-error: pool bodies need slots
    client.pools.create({ name: 'p' });
  });

  it('exposes the whole generated API as raw', () => {
    expectTypeOf(client.raw.GET).toBeFunction();
    expectTypeOf<DagRunFailedError['failedTasks'][number]['tryNumber']>().toEqualTypeOf<number>();
  });
});
