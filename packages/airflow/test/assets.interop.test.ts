import { NotFoundError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AirflowClient, DagRun } from '../src/index';
import { deployTempDag } from './support/dags';
import { platformClient, requireAirflow, unique } from './support/platform';
import { rejection } from './support/rejection';

const client = platformClient();
const DRIVER_FEATURES_URI = 'feast://mlops_demo/driver_hourly_stats';
let both: Awaited<ReturnType<typeof deployTempDag>>;
let uriA = '';
let uriB = '';

beforeAll(async () => {
  await requireAirflow();
  const suffix = unique('assets');
  uriA = `mlops-test://${suffix}/a`;
  uriB = `mlops-test://${suffix}/b`;
  // Scheduled on two assets: an event on one of them stays queued until the other has one too.
  both = await deployTempDag(
    client,
    'assets',
    (dagId) => `from datetime import datetime, timezone
from airflow.sdk import DAG, Asset, task

with DAG(dag_id="${dagId}", schedule=(Asset("${uriA}") & Asset("${uriB}")), start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test"]) as dag:

    @task
    def consume(**context) -> list:
        return sorted(k.uri for k in (context.get("triggering_asset_events") or {}).keys())

    consume()
`,
  );
}, 180_000);
afterAll(() => both?.remove());

/** The run of `dagId` that consumed asset event `eventId`, once the scheduler has created it. */
async function runConsuming(
  c: AirflowClient,
  dagId: string,
  eventId: number,
  since: string,
): Promise<DagRun> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    for await (const run of c.dagRuns.list(dagId, { run_after_gte: since, run_type: ['asset_triggered'] })) {
      const upstream = await c.raw.GET('/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents', {
        params: { path: { dag_id: dagId, dag_run_id: run.dag_run_id } },
      });
      if (upstream.data?.asset_events.some((e) => e.id === eventId)) return run;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no run of ${dagId} consumed asset event ${eventId} within 90 s`);
}

describe('assets on the real Airflow', () => {
  it('an event on the feature asset runs the DAG scheduled on it (the platform training DAG)', async () => {
    const asset = await client.assets.get({ uri: DRIVER_FEATURES_URI });
    expect(asset.uri).toBe(DRIVER_FEATURES_URI);
    expect(asset.scheduled_dags.map((d) => d.dag_id)).toContain('train_on_fresh_features');
    expect((await client.assets.get(asset.id)).uri).toBe(DRIVER_FEATURES_URI);
    const marker = unique('mlops_test_event');
    const event = await client.assets.createEvent({ uri: DRIVER_FEATURES_URI }, { extra: { marker } });
    expect(event.asset_id).toBe(asset.id);
    expect(event.extra).toEqual({ marker, from_rest_api: true });
    const run = await runConsuming(client, 'train_on_fresh_features', event.id, event.timestamp);
    expect((await client.dagRuns.wait(run, { timeout: 120_000 })).state).toBe('success');
    const events = await client.assets
      .events({ asset_id: asset.id, timestamp_gte: event.timestamp })
      .toArray();
    expect(events.map((e) => e.id)).toContain(event.id);
  }, 240_000);

  it('keeps an event queued until every asset of the schedule has one, then runs the DAG', async () => {
    const a = await client.assets.get({ uri: uriA });
    expect(await client.assets.queuedEvents(a.id)).toEqual([]);
    await client.assets.createEvent(a.id);
    const queued = await client.assets.dagQueuedEvents(both.dagId);
    expect(queued.map((q) => [q.dag_id, q.asset_id])).toEqual([[both.dagId, a.id]]);
    expect((await client.assets.queuedEvents(a.id)).map((q) => q.dag_id)).toEqual([both.dagId]);
    const eventB = await client.assets.createEvent({ uri: uriB });
    const run = await runConsuming(client, both.dagId, eventB.id, eventB.timestamp);
    const result = await client.dagRuns.wait(run, { timeout: 120_000 });
    expect(result.state).toBe('success');
    expect((await client.xcoms.get(both.dagId, run.dag_run_id, 'consume')).value).toEqual([uriA, uriB]);
    expect(await client.assets.dagQueuedEvents(both.dagId)).toEqual([]);
  }, 240_000);

  it('says when no asset has a URI', async () => {
    const error = await rejection(client.assets.get({ uri: 'mlops-test://no/such/asset' }));
    expect(NotFoundError.isInstance(error)).toBe(true);
    expect(error.message).toContain('Airflow has no asset with URI "mlops-test://no/such/asset"');
  });
});
