// Materialization from TypeScript (PostgreSQL → Redis, no Python) against Feast's own `materialize`: the Redis
// hashes we write equal Feast's byte for byte (except where Feast rounds, documented below), Feast Python reads
// back what it would have written, and the interval lands in the registry for materialize_incremental.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMMY_ENTITY_KEY, redisKey } from '../../src/codec/entity-key';
import { featureFieldName } from '../../src/codec/murmur3';
import { decodeValue } from '../../src/codec/value';
import { FeastObjectNotFoundError, InvalidFeatureRequestError, MaterializeError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import type { MaterializeProgress } from '../../src/offline/materialize';
import {
  edgeEntityTimestamp,
  entityColumns,
  feastMaterialize,
  feastOnline,
  randomEntityRows,
  setupOfflineRepo,
  sortRows,
  tableRows,
} from './support';

// global_stats (no entities) is left out: Feast 0.67 cannot materialize it ("Column __dummy_id not found in table").
const VIEWS = ['driver_stats', 'driver_stats_no_ttl', 'pair_stats', 'mapped_stats'];
const start = new Date(edgeEntityTimestamp.getTime() - 3 * 86_400_000);
const end = new Date(edgeEntityTimestamp.getTime() + 86_400_000);

// A project of its own: other test files materialize the offline fixture's default project into the same Redis.
const PROJECT = 'mlops_offline_mat';
let repoPath: string;
let store: FeatureStore;
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });

beforeAll(async () => {
  ({ repoPath } = await setupOfflineRepo(PROJECT));
  store = new FeatureStore({ repoPath });
  await redis.connect();
}, 600_000);
afterAll(async () => {
  await store?.close();
  redis.disconnect();
});

/** Every Redis key of the test project: keys end with the project's name (entity key serialization v3). */
async function projectKeys(): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scanBuffer(cursor, 'MATCH', `*${PROJECT}`, 'COUNT', 1000);
    cursor = String(next);
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function clearProject(): Promise<void> {
  const keys = await projectKeys();
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** key hex → field hex → value hex, for every hash of the project. */
async function dump(): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const key of await projectKeys()) {
    const hash = await redis.hgetallBuffer(key);
    out.set(
      key.toString('hex'),
      new Map(
        Object.entries(hash).map(([f, v]) => [Buffer.from(f, 'latin1').toString('hex'), v.toString('hex')]),
      ),
    );
  }
  return out;
}

describe('materialize from TypeScript', { timeout: 300_000 }, () => {
  it('writes the hashes Feast materialize writes, byte for byte', async () => {
    await clearProject();
    await feastMaterialize({ repoPath, start, end, views: VIEWS });
    const theirs = await dump();
    await clearProject();
    const progress: MaterializeProgress[] = [];
    const results = await store.materialize({
      start,
      end,
      featureViews: VIEWS,
      batchSize: 50,
      onProgress: (p) => progress.push(p),
    });
    const ours = await dump();

    expect(ours.size).toBe(theirs.size);
    expect(ours.size).toBeGreaterThan(50);
    let compared = 0;
    const differences: string[] = [];
    const notes = (hash: Map<string, string>) =>
      [...hash.values()].map((v) => {
        try {
          return decodeValue(Buffer.from(v, 'hex'));
        } catch {
          return undefined; // the _ts field is a Timestamp, not a Value
        }
      });
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [key, fields] of theirs) {
      const mine = ours.get(key);
      expect([...mine!.keys()].sort()).toEqual([...fields.keys()].sort());
      // Driver 8 has two rows with the same event and created timestamps: nothing orders them, so Feast and we
      // may each pick either twin. Ours must be one whole twin.
      const twin = (hash: Map<string, string>) => notes(hash).find((n) => n === 'twin a' || n === 'twin b');
      if (twin(fields) !== undefined) {
        const ourTwin = twin(mine!);
        expect(['twin a', 'twin b']).toContain(ourTwin);
        expect(notes(mine!)).toContain(ourTwin === 'twin a' ? 801n : 802n);
        continue;
      }
      for (const [field, value] of fields) {
        compared++;
        const ourValue = mine!.get(field)!;
        if (ourValue === value) continue;
        // Feast reads a batch column through numpy: an int64 column with nulls becomes float64, so int64 values
        // above 2^53 are rounded in Redis. We write them exactly. Any other difference fails the test.
        const a = decodeValue(Buffer.from(ourValue, 'hex'));
        const b = decodeValue(Buffer.from(value, 'hex'));
        if (typeof a === 'bigint' && typeof b === 'bigint' && a > 2n ** 53n && b === BigInt(Number(a))) {
          differences.push(`${key}/${field}: ${a} (Feast ${b})`);
          continue;
        }
        differences.push(`UNEXPECTED ${key}/${field}: ours ${String(a)} Feast ${String(b)}`);
      }
    }
    expect(differences.filter((d) => d.startsWith('UNEXPECTED'))).toEqual([]);
    expect(compared).toBeGreaterThan(200);

    // Progress: after each batch of 50 rows, then once per view when it is done (and recorded).
    expect(results.map((r) => r.featureView)).toEqual(VIEWS);
    for (const [i, view] of VIEWS.entries()) {
      const events = progress.filter((p) => p.featureView === view);
      expect(events.at(-1)).toMatchObject({
        done: true,
        viewIndex: i,
        viewCount: VIEWS.length,
        rows: results[i]!.rows,
      });
    }
    const driverStats = results.find((r) => r.featureView === 'driver_stats')!;
    expect(progress.filter((p) => p.featureView === 'driver_stats' && !p.done)).toHaveLength(
      Math.ceil(driverStats.rows / 50),
    );
    expect(driverStats.written).toBe(driverStats.rows);
  });

  it('Feast Python reads back what we materialized as it reads its own', async () => {
    const rows = randomEntityRows(7, 200);
    const ask = {
      repoPath,
      entityRows: entityColumns(rows, ['driver_id']),
      features: [
        'driver_stats:conv_rate',
        'driver_stats:acc_rate',
        'driver_stats:note',
        'mapped_stats:rating',
      ],
    };
    await clearProject();
    await feastMaterialize({ repoPath, start, end, views: ['driver_stats', 'mapped_stats'] });
    const theirs = tableRows(await feastOnline(ask));
    await clearProject();
    await store.materialize({ start, end, featureViews: ['driver_stats', 'mapped_stats'] });
    const ours = tableRows(await feastOnline(ask));
    expect(sortRows(ours, ['driver_id'])).toEqual(sortRows(theirs, ['driver_id']));
    expect(ours.filter((r) => r.conv_rate !== null).length).toBeGreaterThan(10);
  });

  it('a second run writes nothing new; materializeIncremental starts where the last interval ended', async () => {
    const again = await store.materialize({ start, end, featureViews: ['mapped_stats'] });
    expect(again[0]!.written).toBe(0);
    expect(again[0]!.skipped).toBe(again[0]!.rows);

    const later = new Date(end.getTime() + 3_600_000);
    const incremental = await store.materializeIncremental({ end: later, featureViews: ['mapped_stats'] });
    expect(incremental[0]!.start.getTime()).toBe(end.getTime());
    expect(incremental[0]!.end.getTime()).toBe(later.getTime());
  });

  it('a run that stops part-way resumes from its checkpoint and ends where an uninterrupted run ends', async () => {
    await clearProject();
    await store.materialize({
      start,
      end,
      featureViews: ['driver_stats', 'pair_stats'],
      recordInRegistry: false,
    });
    const uninterrupted = await dump();

    await clearProject();
    let batches = 0;
    const error = await store
      .materialize({
        start,
        end,
        featureViews: ['pair_stats', 'driver_stats'],
        batchSize: 4,
        recordInRegistry: false,
        onProgress: (p) => {
          if (p.featureView === 'driver_stats' && !p.done && ++batches === 2)
            throw new Error('the process died');
        },
      })
      .catch((e: unknown) => e);
    expect(MaterializeError.isInstance(error)).toBe(true);
    const { checkpoint } = error as MaterializeError;
    expect(checkpoint).toMatchObject({ done: ['pair_stats'], featureView: 'driver_stats' });
    expect(checkpoint.after).toHaveLength(1);
    expect(String(error)).toMatch(/the process died.*resume/);
    // Plain JSON: it survives a round trip through storage.
    const stored = JSON.parse(JSON.stringify(checkpoint)) as typeof checkpoint;

    // 8 drivers written of more: the Redis contents are not yet those of a whole run.
    expect(await dump()).not.toEqual(uninterrupted);
    const resumed = await store.materialize({
      start,
      end,
      featureViews: ['pair_stats', 'driver_stats'],
      batchSize: 4,
      recordInRegistry: false,
      resume: stored,
    });
    // Only driver_stats ran, from after the last entity written: nothing was written twice.
    expect(resumed.map((r) => r.featureView)).toEqual(['driver_stats']);
    expect(resumed[0]!.skipped).toBe(0);
    expect(await dump()).toEqual(uninterrupted);

    const mismatch = await store
      .materialize({
        start,
        end: new Date(end.getTime() + 1),
        featureViews: ['driver_stats'],
        resume: stored,
      })
      .catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(InvalidFeatureRequestError);
    expect(String(mismatch)).toMatch(/resume with the same start and end/);
  });

  it('pullLatest returns the rows materialize writes: the latest per entity, created breaking ties', async () => {
    const table = await store.pullLatest({ featureView: 'driver_stats', start, end });
    const rows = tableRows(table);
    const byDriver = new Map(rows.map((r) => [Number(r.driver_id), r]));
    // One row per driver, as many as materialize wrote.
    expect(byDriver.size).toBe(rows.length);
    const [materialized] = await store.materialize({
      start,
      end,
      featureViews: ['driver_stats'],
      recordInRegistry: false,
    });
    expect(rows.length).toBe(materialized!.rows);
    // Driver 11: a later created does not beat a later event. Driver 9: the latest event has no created.
    expect(byDriver.get(11)!.trips).toBe(1102n);
    expect(byDriver.get(9)!.trips).toBe(902n);
    // Source column names, as the online writer takes them; Arrow types from PostgreSQL's.
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'driver_id',
      'conv_rate',
      'acc_rate',
      'trips',
      'note',
      'event_timestamp',
    ]);
  });

  it('an entity-less view, which Feast 0.67 cannot materialize, lands under the dummy entity key', async () => {
    const latest = await store.pullLatest({ featureView: 'global_stats', start, end });
    expect(latest.numRows).toBe(1);
    const [result] = await store.materialize({
      start,
      end,
      featureViews: ['global_stats'],
      recordInRegistry: false,
    });
    expect(result).toMatchObject({ rows: 1 });
    const key = redisKey(DUMMY_ENTITY_KEY, PROJECT, { version: 3 });
    const value = await redis.hgetBuffer(
      Buffer.from(key),
      Buffer.from(featureFieldName('global_stats', 'total_rides')),
    );
    expect(value).not.toBeNull();
    expect(decodeValue(value!)).toBe(latest.getChild('total_rides')!.get(0));
  });

  it('bad input: unknown or on-demand views, an empty range', async () => {
    const unknown = await store
      .materialize({ start, end, featureViews: ['driver_stat'] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(FeastObjectNotFoundError);
    expect(unknown).toMatchObject({ kind: 'feature view', objectName: 'driver_stat', project: PROJECT });
    expect((unknown as FeastObjectNotFoundError).suggestions).toContain('driver_stats');
    const backwards = await store
      .materialize({ start: end, end: start, featureViews: ['driver_stats'] })
      .catch((e: unknown) => e);
    expect(backwards).toBeInstanceOf(InvalidFeatureRequestError);
    expect(String(backwards)).toMatch(/is after end/);
  });
});
