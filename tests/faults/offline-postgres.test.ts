import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { MlopsError } from '@mlops/core';
import { FeatureStore, MaterializeError } from '@mlops/feast';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from './support/load';
import {
  createSourceTable,
  dropTable,
  faultsFeastRepo,
  postgres,
  redisContents,
  runningQueries,
  terminateBackends,
} from './support/offline';
import type { ServerProcess } from './support/processes';
import { privateRedis } from './support/redis';
import { type FaultProxy, faultProxy } from './support/toxiproxy';

// Issue 15: materialization and historical retrieval with PostgreSQL faulted mid-stream — our backend
// terminated from outside (pg_terminate_backend) or the network cut (Toxiproxy resets the connection). Either a
// typed error, or a run resumed from its checkpoint that leaves Redis byte-identical to an uninterrupted run;
// never a partial table reported as success. The source is a table of its own (40k drivers × 8 versions), its
// stream slowed by a bandwidth limit so the fault lands in the middle of it.
const table = `faults_src_${randomBytes(4).toString('hex')}`;
const START = '2026-10-01T00:00:00Z';
const END = '2026-12-01T00:00:00Z';
let repo: ReturnType<typeof faultsFeastRepo>;
let proxy: FaultProxy;
const redises: Array<ServerProcess & { port: number }> = [];
let reference: Record<string, Record<string, string>>;

async function storeOn(redisPort: number, applicationName: string): Promise<FeatureStore> {
  return new FeatureStore({ repoPath: repo.repoFor(redisPort, proxy.port), offline: { applicationName } });
}

beforeAll(async () => {
  await createSourceTable(table, 40_000, 8);
  repo = faultsFeastRepo(table);
  proxy = await faultProxy('postgres', postgres.port);
  // The uninterrupted run every faulted one is compared with.
  const clean = await privateRedis();
  redises.push(clean);
  await using store = await storeOn(clean.port, `faults-clean-${process.pid}`);
  await store.materialize({ start: START, end: END, featureViews: [repo.view] });
  reference = await redisContents(clean.port);
  expect(Object.keys(reference)).toHaveLength(40_000);
}, 300_000);

afterAll(async () => {
  await proxy?.remove();
  await Promise.all(redises.map((r) => r.stop()));
  repo?.remove();
  await dropTable(table);
});

describe('materialize with PostgreSQL faulted mid-stream', () => {
  for (const fault of ['backend terminated', 'connection reset'] as const) {
    it(`${fault}: a MaterializeError with a checkpoint; resuming ends byte-identical to an uninterrupted run`, async () => {
      const redis = await privateRedis();
      redises.push(redis);
      const applicationName = `faults-${fault.replace(' ', '-')}-${process.pid}`;
      const store = await storeOn(redis.port, applicationName);
      const slow = await proxy.toxic('bandwidth', { rate: 300 }); // KB/s: the stream takes seconds
      let faulted = false;
      let reset: Promise<() => Promise<void>> | undefined;
      // The connection is reset once the first 2,000 entities are in Redis, while the rest still streams (about
      // 3 MB at 300 KB/s): mid-stream whatever the machine's speed. The backend is terminated as soon as its query
      // runs: PostgreSQL hands its rows to the socket within moments, so a backend killed later has nothing left
      // to lose (the rows are in flight already) and the kill lands on the next statement instead.
      const watcher = new Redis({ host: '127.0.0.1', port: redis.port });
      const timer = setInterval(() => {
        if (faulted) return;
        if (fault === 'backend terminated') {
          void runningQueries(applicationName).then((running) => {
            if (faulted || running === 0) return;
            faulted = true;
            void terminateBackends(applicationName);
          });
        } else {
          void watcher.dbsize().then((keys) => {
            if (faulted || keys < 2000) return;
            faulted = true;
            reset = proxy.toxic('reset_peer', { timeout: 0 });
          });
        }
      }, 20);
      const error = await store.materialize({ start: START, end: END, featureViews: [repo.view] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      clearInterval(timer);
      watcher.disconnect();
      if (reset) await (await reset)();
      await slow();
      expect(faulted).toBe(true);
      expect(MaterializeError.isInstance(error), String(error)).toBe(true);
      const checkpoint = (error as MaterializeError).checkpoint;
      // The run stopped before the end: Redis does not hold the whole result yet.
      expect(await redisContents(redis.port)).not.toEqual(reference);
      await store.materialize({ start: START, end: END, featureViews: [repo.view], resume: checkpoint });
      await store.close();
      const resumed = await redisContents(redis.port);
      report(`materialize-${fault.replace(' ', '-')}`, {
        stoppedAfter: checkpoint.after ?? null,
        identicalAfterResume: isDeepStrictEqual(resumed, reference),
      });
      expect(resumed).toEqual(reference);
    }, 300_000);
  }
});

describe('historical retrieval with PostgreSQL faulted mid-stream', () => {
  const entityRows = Array.from({ length: 20_000 }, (_, i) => ({
    driver_id: BigInt(i * 2),
    event_timestamp: '2026-11-01T05:30:00Z',
  }));
  const request = { features: ['faults_stream:f_int8', 'faults_stream:f_text'], entityDf: entityRows };

  it('the network cut while the result streams: a typed error, never a partial table', async () => {
    const redis = await privateRedis();
    redises.push(redis);
    const store = await storeOn(redis.port, `faults-hist-${process.pid}`);
    const whole = await (await store.getHistoricalFeatures(request)).toArrow();
    expect(whole.numRows).toBe(20_000);
    const slow = await proxy.toxic('bandwidth', { rate: 200 });
    let cutting: Promise<() => Promise<void>> | undefined;
    const cut = setTimeout(() => {
      cutting = proxy.toxic('reset_peer', { timeout: 0 });
    }, 500);
    const outcome = await store
      .getHistoricalFeatures(request)
      .then((job) => job.toArrow())
      .then(
        (table) => ({ rows: table.numRows }),
        (e: unknown) => ({ error: e }),
      );
    clearTimeout(cut);
    await slow();
    if (cutting) await (await cutting)();
    await store.close();
    if ('rows' in outcome) throw new Error(`a faulted retrieval resolved with ${outcome.rows} rows`);
    expect(MlopsError.isInstance(outcome.error), String(outcome.error)).toBe(true);
  }, 300_000);
});
