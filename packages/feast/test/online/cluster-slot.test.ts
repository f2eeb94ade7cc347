// The slot we group Redis Cluster commands by is the slot the cluster itself computes (CLUSTER KEYSLOT on the
// platform's cluster, 127.0.0.1:7000), for Feast's binary keys and for every hash-tag corner: no tag, a tag, an
// empty tag `{}` (the whole key counts: the case the archived cluster-key-slot package gets wrong), `}` before
// `{`, several tags, and random bytes full of 0x7b / 0x7d.
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKey, ValueType } from '../../src/codec';
import { keySlot } from '../../src/online/redis-online-store';

let node: Redis;
beforeAll(async () => {
  node = new Redis({ host: '127.0.0.1', port: 7000, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await node.connect();
  } catch (error) {
    throw new Error(
      `Redis Cluster is not reachable on 127.0.0.1:7000 (start it with: pnpm platform up): ${error}`,
    );
  }
});
afterAll(() => node?.disconnect());

const clusterSlot = async (key: Uint8Array) =>
  Number(await node.call('CLUSTER', 'KEYSLOT', Buffer.from(key)));
const bytes = (text: string) => new TextEncoder().encode(text);

describe('keySlot equals CLUSTER KEYSLOT', () => {
  it.each([
    ['no tag', 'driver:1001'],
    ['a tag', 'user{1001}.profile'],
    ['an empty tag: the whole key', 'a{}b{c}'],
    ['an empty tag at the start', '{}{x}'],
    ['a closing brace first', 'a}b{c}d'],
    ['two tags: the first counts', '{x}{y}'],
    ['an unclosed tag', 'ab{cd'],
    ['the empty key', ''],
  ])('%s (%s)', async (_what, key) => {
    expect(keySlot(bytes(key))).toBe(await clusterSlot(bytes(key)));
  });

  it("for Feast's binary keys of every entity key version", async () => {
    for (const version of [1, 2, 3] as const) {
      const key = redisKey(
        [
          { joinKey: 'driver_id', value: 1001n, valueType: ValueType.INT64 },
          { joinKey: 'customer_id', value: '{}C001', valueType: ValueType.STRING },
        ],
        'mlops_demo',
        { version },
      );
      expect(keySlot(key)).toBe(await clusterSlot(key));
    }
  });

  it('for random bytes rich in braces', async () => {
    const byte = fc.oneof(fc.constantFrom(0x7b, 0x7d), fc.integer({ min: 0, max: 255 }));
    await fc.assert(
      fc.asyncProperty(fc.array(byte, { maxLength: 24 }), async (list) => {
        const key = Uint8Array.from(list);
        expect(keySlot(key)).toBe(await clusterSlot(key));
      }),
      { numRuns: 300 },
    );
  });
});
