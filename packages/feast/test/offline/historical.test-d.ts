// The public types of offline retrieval and materialization, as a user's editor sees them.
import type { DataType, RecordBatch, Table, Vector } from 'apache-arrow';
import { describe, expectTypeOf, it } from 'vitest';
import {
  FeatureStore,
  type HistoricalRetrievalJob,
  type MaterializeCheckpoint,
  MaterializeError,
  type MaterializeProgress,
  type MaterializeViewResult,
  type OfflineIndex,
  type PointInTimePlan,
} from '../../src/index';

const store = new FeatureStore({ repoPath: 'feature_repo' });
const at = new Date();

describe('the join plans', () => {
  it("plan is 'lookup' | 'lookup-keys' | 'arrays' | 'auto', on every method that runs or shows the query", async () => {
    expectTypeOf<PointInTimePlan>().toEqualTypeOf<'lookup' | 'lookup-keys' | 'arrays' | 'auto'>();
    const job = await store.getHistoricalFeatures({
      entityDf: { driver_id: [1], event_timestamp: [at] },
      features: ['v:f'],
    });
    expectTypeOf(job.toArrow({ plan: 'arrays', workMem: '256MB' })).resolves.toHaveProperty('numRows');
    void job.stream({ plan: 'lookup' });
    void job.count({ plan: 'auto' });
    expectTypeOf(job.toSQL({ plan: 'lookup-keys' })).toEqualTypeOf<string>();
    expectTypeOf(job.explain({ plan: 'auto', stream: true })).resolves.toEqualTypeOf<string>();
    // @ts-expect-error: not a plan
    void job.toArrow({ plan: 'fast' });
  });
});

describe('getHistoricalFeatures', () => {
  it('takes every form of entity rows and returns a job of Arrow results', () => {
    expectTypeOf(
      store.getHistoricalFeatures({ entityDf: { driver_id: [1], event_timestamp: [at] }, features: ['v:f'] }),
    ).resolves.toEqualTypeOf<
      HistoricalRetrievalJob<{ driver_id: DataType; event_timestamp: DataType; f: DataType }>
    >();
    const features: string[] = ['v:f'];
    expectTypeOf(
      store.getHistoricalFeatures({ entityDf: { driver_id: [1], event_timestamp: [at] }, features }),
    ).resolves.toEqualTypeOf<HistoricalRetrievalJob>();
    void store.getHistoricalFeatures({
      entityDf: [{ driver_id: 1n, event_timestamp: at }],
      featureService: 's',
    });
    void store.getHistoricalFeatures({
      entityDf: 'SELECT driver_id, event_timestamp FROM labels',
      features: [],
    });
    void store.getHistoricalFeatures({ entityDf: {} as Table, features: ['v:f'], fullFeatureNames: true });
    // @ts-expect-error: entity rows are a table, rows, columns or SQL, not a number
    void store.getHistoricalFeatures({ entityDf: 42, features: ['v:f'] });
    // @ts-expect-error: entityDf is required
    void store.getHistoricalFeatures({ features: ['v:f'] });

    const job = {} as HistoricalRetrievalJob;
    expectTypeOf(job.toArrow()).resolves.toEqualTypeOf<Table>();
    expectTypeOf(
      job.toArrow({ lookupOrder: 'keys', workMem: '128MB', timeoutMs: 60_000 }),
    ).resolves.toEqualTypeOf<Table>();
    expectTypeOf(job.stream({ batchRows: 10_000 })).toEqualTypeOf<AsyncGenerator<RecordBatch>>();
    expectTypeOf(job.toSQL()).toEqualTypeOf<string>();
    expectTypeOf(job.count()).resolves.toEqualTypeOf<number>();
    expectTypeOf(job.explain({ analyze: true })).resolves.toEqualTypeOf<string>();
    // @ts-expect-error: lookups run in entity or key order only
    void job.toArrow({ lookupOrder: 'random' });
  });

  it('lists and creates indexes', () => {
    expectTypeOf(store.offlineIndexes({ features: ['v:f'] })).resolves.toEqualTypeOf<OfflineIndex[]>();
    expectTypeOf(store.createOfflineIndexes({ featureService: 's' })).resolves.toEqualTypeOf<string[]>();
  });
});

describe('toArrow typed by its columns', () => {
  it('names the entity columns and the features asked for; others are type errors', async () => {
    const job = await store.getHistoricalFeatures({
      entityDf: [{ driver_id: 1001, event_timestamp: at, label: 1 }],
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
    });
    const table = await job.toArrow();
    expectTypeOf(table.getChild('conv_rate')).toEqualTypeOf<Vector<DataType> | null>();
    expectTypeOf(table.getChild('label')).toEqualTypeOf<Vector<DataType> | null>();
    // @ts-expect-error: not a column of this result
    table.getChild('acc_rate');
    const full = await store.getHistoricalFeatures({
      entityDf: { driver_id: [1001], event_timestamp: [at] },
      features: ['driver_hourly_stats:conv_rate'],
      fullFeatureNames: true,
    });
    expectTypeOf(
      (await full.toArrow()).getChild('driver_hourly_stats__conv_rate'),
    ).toEqualTypeOf<Vector<DataType> | null>();
  });
});

describe('materialization', () => {
  it('reports progress with a JSON checkpoint, and resumes from one', () => {
    expectTypeOf(
      store.materialize({
        start: at,
        end: at,
        onProgress: (p) => expectTypeOf(p).toEqualTypeOf<MaterializeProgress>(),
      }),
    ).resolves.toEqualTypeOf<MaterializeViewResult[]>();
    expectTypeOf<MaterializeProgress['checkpoint']>().toEqualTypeOf<MaterializeCheckpoint>();
    expectTypeOf<MaterializeError['checkpoint']>().toEqualTypeOf<MaterializeCheckpoint>();
    expectTypeOf(MaterializeError.isInstance).guards.toEqualTypeOf<MaterializeError>();
    void store.materialize({ start: at, end: at, resume: {} as MaterializeCheckpoint });
    expectTypeOf(store.materializeIncremental({ end: at })).resolves.toEqualTypeOf<MaterializeViewResult[]>();
    expectTypeOf(store.pullLatest({ featureView: 'v', start: at, end: at })).resolves.toEqualTypeOf<Table>();
    // @ts-expect-error: materialize needs a start (materializeIncremental finds its own)
    void store.materialize({ end: at });
  });
});
