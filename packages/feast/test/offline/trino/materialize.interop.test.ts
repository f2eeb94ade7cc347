/**
 * Materialization and pullLatest from Trino sources: the latest rows equal the PostgreSQL path's on the same
 * rows; what lands in Redis reads back as those rows; a run stopped part-way resumes from its checkpoint (key
 * order on Trino too) and ends where an uninterrupted run ends; materializeIncremental continues the interval.
 * The Trino repo's project (mlops_offline_trino) is this file's alone in Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore, MaterializeError } from '../../../src/index';
import { edgeEntityTimestamp, sortRows, tableRows } from '../support';
import { setupTrinoRepo, type TrinoRepo } from './support';

const start = new Date(edgeEntityTimestamp.getTime() - 3 * 86_400_000);
const end = new Date(edgeEntityTimestamp.getTime() + 86_400_000);
const VIEWS = ['driver_stats', 'driver_stats_no_ttl', 'pair_stats', 'mapped_stats'];

let repo: TrinoRepo;
let trino: FeatureStore;
let postgres: FeatureStore;
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });

beforeAll(async () => {
  repo = await setupTrinoRepo();
  trino = new FeatureStore({ repoPath: repo.repoPath });
  postgres = new FeatureStore({ repoPath: repo.pgRepoPath });
  await redis.connect();
}, 300_000);

afterAll(async () => {
  await trino?.close();
  await postgres?.close();
  redis.disconnect();
});

async function projectKeys(): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', `*${repo.project}`, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function clearProject(): Promise<void> {
  const keys = await projectKeys();
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

async function dump(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await projectKeys()) {
    const hash = await redis.hgetallBuffer(key);
    const fields = Object.entries(hash)
      .map(([f, v]) => `${Buffer.from(f, 'latin1').toString('hex')}=${v.toString('hex')}`)
      .sort();
    out.set(key.toString('hex'), fields.join(','));
  }
  return out;
}

// Driver 8 has exact twins (same event and created timestamps): either row is right, on each path.
const noTwins = (rows: Array<Record<string, unknown>>) =>
  rows.filter((r) => r.driver_id !== 8n && r.drv !== 8n);

describe('pullLatest and materialize from Trino', () => {
  it.each(VIEWS)(
    'pullLatest(%s) equals the PostgreSQL path on the same rows',
    { timeout: 180_000 },
    async (featureView) => {
      const ours = await trino.pullLatest({ featureView, start, end });
      const reference = await postgres.pullLatest({ featureView, start, end });
      expect(ours.schema.fields.map((f) => [f.name, String(f.type)])).toEqual(
        reference.schema.fields.map((f) => [f.name, String(f.type)]),
      );
      const keys = ours.schema.fields.map((f) => f.name);
      expect(sortRows(noTwins(tableRows(ours)), keys)).toEqual(sortRows(noTwins(tableRows(reference)), keys));
      expect(ours.numRows).toBeGreaterThan(0);
    },
  );

  it('materialize writes the latest rows to Redis, read back as the PostgreSQL path pulls them', {
    timeout: 300_000,
  }, async () => {
    await clearProject();
    const results = await trino.materialize({ start, end, featureViews: ['driver_stats'], batchSize: 40 });
    expect(results[0]!.written).toBe(results[0]!.rows);
    const latest = noTwins(tableRows(await postgres.pullLatest({ featureView: 'driver_stats', start, end })));
    const online = await trino.getOnlineFeatures({
      features: ['driver_stats:trips', 'driver_stats:note'],
      entityRows: latest.map((r) => ({ driver_id: r.driver_id as bigint })),
    });
    const read = online.toObjects();
    expect(read.map((r) => [r.driver_id, r.trips, r.note])).toEqual(
      latest.map((r) => [r.driver_id, r.trips, r.note]),
    );
  });

  it('a run that stops part-way resumes from its checkpoint and ends where an uninterrupted run ends', {
    timeout: 300_000,
  }, async () => {
    await clearProject();
    await trino.materialize({
      start,
      end,
      featureViews: ['driver_stats', 'pair_stats'],
      recordInRegistry: false,
    });
    const uninterrupted = await dump();
    await clearProject();
    let batches = 0;
    const error = await trino
      .materialize({
        start,
        end,
        featureViews: ['driver_stats', 'pair_stats'],
        recordInRegistry: false,
        batchSize: 30,
        onProgress: () => {
          if (++batches === 2) throw new Error('stopped on purpose');
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(MaterializeError.isInstance(error)).toBe(true);
    const checkpoint = (error as MaterializeError).checkpoint;
    expect(checkpoint.featureView).toBe('driver_stats');
    expect(checkpoint.after).toBeDefined();
    await trino.materialize({
      start,
      end,
      featureViews: ['driver_stats', 'pair_stats'],
      recordInRegistry: false,
      resume: checkpoint,
    });
    expect(await dump()).toEqual(uninterrupted);
  });

  it('materializeIncremental starts where the last interval ended', { timeout: 300_000 }, async () => {
    await trino.materialize({ start, end, featureViews: ['mapped_stats'] });
    const later = new Date(end.getTime() + 3_600_000);
    const incremental = await trino.materializeIncremental({ end: later, featureViews: ['mapped_stats'] });
    expect(incremental[0]!.start.getTime()).toBe(end.getTime());
    expect(incremental[0]!.end.getTime()).toBe(later.getTime());
  });
});
