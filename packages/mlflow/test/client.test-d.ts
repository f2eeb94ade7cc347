import type { ResponseData } from '@mlops/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { components, paths } from '../src/generated/mlflow';
import {
  type ActiveRun,
  type Experiment,
  type Metric,
  type MlflowBufferFullError,
  MlflowClient,
  type MlflowOutageError,
  type Paginator,
  type Run,
  type RunInfo,
} from '../src/index';

const client = new MlflowClient();

describe('tracking methods are flat and typed as Python’s MlflowClient', () => {
  it('experiments', () => {
    expectTypeOf(client.createExperiment('x', { tags: { a: 'b' } })).resolves.toEqualTypeOf<string>();
    expectTypeOf(client.getExperiment('1')).resolves.toEqualTypeOf<Experiment>();
    expectTypeOf(client.getExperimentByName('x')).resolves.toEqualTypeOf<Experiment | undefined>();
    expectTypeOf(client.searchExperiments({ viewType: 'ALL', orderBy: ['name'] })).toEqualTypeOf<
      Paginator<Experiment>
    >();
    // @ts-expect-error view types are MLflow's names
    client.searchExperiments({ viewType: 'deleted' });
  });

  it('runs: Run is Python’s shape, records for metrics, params and tags', () => {
    expectTypeOf(client.getRun('r')).resolves.toEqualTypeOf<Run>();
    expectTypeOf<Run['data']['metrics']>().toEqualTypeOf<Record<string, number>>();
    expectTypeOf<Run['data']['params']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Run['info']['status']>().toEqualTypeOf<
      'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'
    >();
    expectTypeOf(client.updateRun('r', { status: 'KILLED' })).resolves.toEqualTypeOf<RunInfo>();
    // @ts-expect-error statuses are MLflow's names
    client.setTerminated('r', { status: 'DONE' });
    expectTypeOf(
      client.searchRuns(['1'], { filter: 'metrics.x > 1', runViewType: 'ACTIVE_ONLY' }),
    ).toEqualTypeOf<Paginator<Run>>();
    expectTypeOf(client.getMetricHistory('r', 'loss')).toEqualTypeOf<Paginator<Metric>>();
    expectTypeOf(client.getMetricHistory('r', 'loss').pages()).toEqualTypeOf<
      AsyncGenerator<readonly Metric[]>
    >();
    expectTypeOf(client.logParam('r', 'k', true)).resolves.toEqualTypeOf<string>();
    // @ts-expect-error a param value is a string, number or boolean
    client.logParam('r', 'k', { nested: 1 });
    // @ts-expect-error metric values are numbers
    client.logMetric('r', 'k', '1');
  });

  it('logBatch takes records or ordered pairs', () => {
    expectTypeOf(
      client.logBatch('r', {
        metrics: [{ key: 'm', value: Number.NaN, step: 1 }],
        params: { a: 1 },
        tags: [{ key: 't', value: 'v' }],
      }),
    ).resolves.toEqualTypeOf<void>();
    // @ts-expect-error tags are strings
    client.logBatch('r', { tags: { t: 1 } });
  });

  it('withRun hands the body an ActiveRun and returns what the body returns', () => {
    expectTypeOf(
      client.withRun({ experimentName: 'e' }, async (run) => {
        expectTypeOf(run).toEqualTypeOf<ActiveRun>();
        expectTypeOf(run.logMetrics({ loss: 1 }, { step: 1 })).toEqualTypeOf<void>();
        return 42;
      }),
    ).resolves.toEqualTypeOf<number>();
  });

  it('withRun takes an outage budget and a buffer bound; its errors carry what was not stored', () => {
    expectTypeOf(
      client.withRun({ outageTimeoutMs: 600_000, maxBufferedMetrics: 10_000 }, () => 'ok'),
    ).resolves.toEqualTypeOf<string>();
    expectTypeOf<MlflowOutageError['notStored']>().toEqualTypeOf<{
      metrics: number;
      params: number;
      tags: number;
    }>();
    expectTypeOf<MlflowBufferFullError['buffered']>().toEqualTypeOf<number>();
    // @ts-expect-error the outage budget is a number of ms
    client.withRun({ outageTimeoutMs: '5m' }, () => 1);
  });

  it('raw is the generated client', () => {
    expectTypeOf(client.raw.GET).toBeFunction();
  });
});

describe('the generated calls the tracking methods make, as openapi-typescript types them', () => {
  type Schemas = components['schemas'];
  it('answers', () => {
    expectTypeOf<ResponseData<paths, '/api/2.0/mlflow/runs/get', 'get'>>().toEqualTypeOf<
      Schemas['mlflow_GetRun_Response']
    >();
    expectTypeOf<ResponseData<paths, '/api/2.0/mlflow/runs/search', 'post'>>().toEqualTypeOf<
      Schemas['mlflow_SearchRuns_Response']
    >();
    expectTypeOf<ResponseData<paths, '/api/2.0/mlflow/metrics/get-history', 'get'>>().toEqualTypeOf<
      Schemas['mlflow_GetMetricHistory_Response']
    >();
    expectTypeOf<ResponseData<paths, '/api/2.0/mlflow/experiments/search', 'post'>>().toEqualTypeOf<
      Schemas['mlflow_SearchExperiments_Response']
    >();
    expectTypeOf<ResponseData<paths, '/api/2.0/mlflow/experiments/create', 'post'>>().toEqualTypeOf<
      Schemas['mlflow_CreateExperiment_Response']
    >();
  });
  it('int64 and doubles: numbers in answers, number | string for int64 in requests, MLflow’s strings for non-finite doubles', () => {
    expectTypeOf<Schemas['mlflow_Metric']['step']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Schemas['mlflow_Metric__Input']['step']>().toEqualTypeOf<number | string | undefined>();
    expectTypeOf<Schemas['mlflow_Metric']['value']>().toEqualTypeOf<
      number | 'NaN' | 'Infinity' | '-Infinity' | undefined
    >();
  });
});
