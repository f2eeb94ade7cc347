import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { needs, pins, port } from './support/platform';

const redis = new Redis({
  host: '127.0.0.1',
  port: port('REDIS_PORT'),
  lazyConnect: true,
  maxRetriesPerRequest: 1,
});
const cluster = new Cluster(
  pins.REDIS_CLUSTER_PORTS!.split(' ').map((p) => ({ host: '127.0.0.1', port: Number(p) })),
  { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } },
);
afterAll(async () => {
  redis.disconnect();
  cluster.disconnect();
});

describe('Redis', () => {
  it('answers on the standalone port with the pinned version', async () => {
    await needs('redis', () => redis.connect());
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.info('server')).toContain(`redis_version:${pins.REDIS_VERSION}`);
  });

  it('runs a healthy three-master cluster that serves keys of every slot range', async () => {
    await needs('redis-cluster', () => cluster.connect());
    const info = await cluster.cluster('INFO');
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_slots_assigned:16384');
    expect(cluster.nodes('master')).toHaveLength(3);
    const keys = Array.from({ length: 30 }, (_, i) => `mlops-it:${i}`);
    for (const key of keys) await cluster.set(key, key, 'EX', 60);
    for (const key of keys) expect(await cluster.get(key)).toBe(key);
    // Thirty keys spread over the slots: every master holds some.
    for (const node of cluster.nodes('master')) expect(await node.dbsize()).toBeGreaterThan(0);
  });

  it('holds what feast materialize wrote: one hash per entity key, suffixed with the project', async () => {
    await needs('redis', () => redis.ping());
    const project = Buffer.from('mlops_demo');
    let keys: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scanBuffer(cursor, 'COUNT', 1000);
      cursor = String(next);
      keys = keys.concat(batch);
    } while (cursor !== '0');
    const feastKeys = keys.filter((k) => k.subarray(k.length - project.length).equals(project));
    // 10 drivers, 10 customers and the driver × customer pairs of the seed data.
    expect(feastKeys.length).toBeGreaterThanOrEqual(20);
    const fields = await redis.hkeysBuffer(feastKeys[0]!);
    expect(fields.some((f) => f.toString('latin1').startsWith('_ts:'))).toBe(true);
  });
});

describe('PostgreSQL', () => {
  it('answers with the pinned major version and holds the seeded offline store', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: port('POSTGRES_PORT'),
      user: 'postgres',
      database: 'feast',
    });
    await needs('postgres', () => client.connect());
    try {
      const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
      expect(rows[0]!.server_version.startsWith(`${pins.POSTGRES_MAJOR}.`)).toBe(true);
      const counts = await client.query<{ n: string }>('SELECT count(*) AS n FROM driver_hourly_stats');
      expect(Number(counts.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });
});
