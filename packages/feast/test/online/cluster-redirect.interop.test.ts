import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { RedisOnlineStoreConfig } from '../../src/config/repo-config';
import { keySlot, RedisOnlineStore } from '../../src/online/redis-online-store';
import { feastRepo } from '../support/platform';

// The Redis Cluster read path sends each HMGET straight to the master its slot map names. When that map is
// stale (a failover, a resharding), the node answers MOVED: the read refreshes the map and sends those commands
// again, to the right master, and the answer is the same as with a fresh map.
const connectionString = /connection_string:\s*"([^"]+)"/.exec(
  readFileSync(resolve(feastRepo, 'redis-cluster/feature_store.yaml'), 'utf8'),
)![1]!;
const config: RedisOnlineStoreConfig = {
  type: 'redis',
  redisType: 'redis_cluster',
  connectionString,
  nodes: connectionString.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  }),
  params: {},
  sentinelMaster: 'mymaster',
  keyTtlSeconds: undefined,
  skipDedup: false,
};
const store = new RedisOnlineStore(config);
afterAll(() => store.close());

const call = () => ({ timeoutMs: 5000, settled: false });

describe('Redis Cluster reads with a stale slot map', () => {
  it('follow MOVED to the slot’s master and read what a fresh map reads', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => Buffer.from(`mlops-test-redirect-${process.pid}-${i}`));
    const field = Buffer.from('f');
    await store.hset(
      keys.map((key, i) => ({ key, fields: [[field, Buffer.from(`value-${i}`)]] })),
      60,
    );
    const fresh = await store.hmgetGroups([{ fields: [field] }], [keys], call());
    expect(fresh.map((reply) => reply[0]!.toString())).toEqual(keys.map((_, i) => `value-${i}`));

    // Point every key's slot at a master that does not own it.
    const cluster = (await store.client()) as Cluster;
    const masters = cluster.nodes('master').map((node) => `${node.options.host}:${node.options.port}`);
    expect(masters.length).toBeGreaterThan(1);
    const owners = new Map(keys.map((key) => [keySlot(key), cluster.slots[keySlot(key)]![0]!]));
    for (const [slot, owner] of owners) cluster.slots[slot] = [masters.find((m) => m !== owner)!];

    const stale = await store.hmgetGroups([{ fields: [field] }], [keys], call());
    expect(stale).toEqual(fresh);
    // The map was refreshed on the way.
    for (const [slot, owner] of owners) expect(cluster.slots[slot]![0]).toBe(owner);
  });
});
